import LabelDecoding
import Testing

/// A camera at 15 fps, feeding the rule what each frame decoded.
private struct Camera {
    static let frameNanos: UInt64 = 1_000_000_000 / 15
    var rule = InViewRule()
    var index: UInt64 = 0
    var accepted: [InViewRule.Acceptance] = []

    /// One frame showing `texts` (Code 128); returns what it accepted.
    @discardableResult
    mutating func frame(_ texts: [String], symbology: Symbology = .code128) -> [InViewRule.Acceptance] {
        // The frame's bytes say which frame it is, so a test can tell frames apart.
        let frame = Frame(
            width: 1, height: 1, format: .gray, bytes: [UInt8(truncatingIfNeeded: index)], arrivalNanos: 5_000_000_000 + index * Self.frameNanos)
        index += 1
        let labels = texts.map { DecodedLabel(text: $0, symbology: symbology, corners: []) }
        let now = rule.observe(labels, in: frame)
        accepted += now
        return now
    }

    /// `seconds` of frames showing `texts`.
    mutating func hold(_ texts: [String], seconds: Double) {
        for _ in 0..<Int((seconds * 15).rounded()) { frame(texts) }
    }

    var acceptedTexts: [String] { accepted.map(\.label.text) }
}

@Suite("in-view rule")
struct InViewRuleTests {
    @Test("a code held in view for 5 s at 15 fps counts once")
    func heldCountsOnce() {
        var camera = Camera()
        camera.hold(["A"], seconds: 5)
        #expect(camera.acceptedTexts == ["A"])
        #expect(camera.accepted.first?.frame.arrivalNanos == 5_000_000_000 + Camera.frameNanos, "at the second frame")
    }

    @Test("out of view for 1.0 s and back: not again")
    func shortAbsence() {
        var camera = Camera()
        camera.hold(["A"], seconds: 2)
        camera.hold([], seconds: 1.0)
        camera.hold(["A"], seconds: 2)
        #expect(camera.acceptedTexts == ["A"])
    }

    @Test("out of view for 1.6 s and back: a second scan")
    func longAbsence() {
        var camera = Camera()
        camera.hold(["A"], seconds: 2)
        camera.hold([], seconds: 1.6)
        let returned = camera.index
        camera.hold(["A"], seconds: 2)
        #expect(camera.acceptedTexts == ["A", "A"])
        #expect(camera.accepted.last?.frame.arrivalNanos == 5_000_000_000 + (returned + 1) * Camera.frameNanos, "again after 2 frames")
    }

    @Test("the 1.5 s is measured from the last frame the code decoded in to the next")
    func boundary() {
        var rule = InViewRule()
        func frame(_ nanos: UInt64) -> Frame { Frame(width: 1, height: 1, format: .gray, bytes: [], arrivalNanos: nanos) }
        let a = [DecodedLabel(text: "A", symbology: .code128, corners: [])]
        #expect(rule.observe(a, in: frame(0)).isEmpty)
        #expect(rule.observe(a, in: frame(100)).count == 1)
        #expect(rule.observe([], in: frame(200)).isEmpty)
        // 1 ns short of 1.5 s after the last decode: still the same stay.
        #expect(rule.observe(a, in: frame(100 + 1_499_999_999)).isEmpty)
        #expect(rule.observe(a, in: frame(100 + 1_500_000_000)).isEmpty, "still in view: it was decoded 1 ns ago")
        // Exactly 1.5 s undecoded: counts as out of view, and after two frames it is a new scan.
        let last: UInt64 = 100 + 1_500_000_000
        #expect(rule.observe(a, in: frame(last + 1_500_000_000)).isEmpty)
        #expect(rule.observe(a, in: frame(last + 1_500_000_001)).count == 1)
    }

    @Test("a single spurious decode never counts")
    func spurious() {
        var camera = Camera()
        camera.frame(["SF0000000000000"])
        camera.hold([], seconds: 3)
        #expect(camera.accepted.isEmpty)
        #expect(camera.rule.trackedCount == 0, "nothing remembered")
    }

    @Test("a frame without the code resets its count: decoded in every other frame, it never counts")
    func missedFrameResets() {
        var camera = Camera()
        for _ in 0..<30 {
            camera.frame(["A"])
            camera.frame([])
        }
        #expect(camera.accepted.isEmpty)
    }

    @Test("an accepted code decoded only now and then stays one scan")
    func intermittentAfterAcceptance() {
        var camera = Camera()
        camera.hold(["A"], seconds: 0.5)
        for _ in 0..<5 {
            camera.hold([], seconds: 1.0)
            camera.frame(["A"])
        }
        #expect(camera.acceptedTexts == ["A"])
    }

    @Test("two codes in view are two scans, each counted once")
    func twoCodes() {
        var camera = Camera()
        camera.hold(["A", "B"], seconds: 3)
        #expect(Set(camera.acceptedTexts) == ["A", "B"])
        #expect(camera.accepted.count == 2)
        #expect(camera.accepted.allSatisfy { $0.frame.arrivalNanos == 5_000_000_000 + Camera.frameNanos })
    }

    @Test("codes are tracked independently: one comes while the other stays, one goes and comes back")
    func independent() {
        var camera = Camera()
        camera.hold(["A"], seconds: 1)
        camera.hold(["A", "B"], seconds: 1)
        #expect(camera.acceptedTexts == ["A", "B"])
        // A leaves for 2 s while B stays; A comes back: A again, B not.
        camera.hold(["B"], seconds: 2)
        camera.hold(["A", "B"], seconds: 1)
        #expect(camera.acceptedTexts == ["A", "B", "A"])
    }

    @Test("the photo frame is the frame of the second identical decode")
    func photoFrame() {
        var camera = Camera()
        camera.frame([])
        camera.frame(["A"])
        let accepted = camera.frame(["A"])
        camera.hold(["A"], seconds: 1)
        #expect(accepted.count == 1)
        #expect(accepted.first?.frame.bytes == [2], "the third frame of the run, the second with A")
        #expect(accepted.first?.label.text == "A")
        #expect(camera.accepted.count == 1)
    }

    @Test("the same text in another symbology is another code")
    func symbologyCounts() {
        var camera = Camera()
        camera.frame(["123456"], symbology: .code128)
        camera.frame(["123456"], symbology: .code39)
        camera.frame(["123456"], symbology: .code128)
        #expect(camera.accepted.isEmpty, "never identical in two frames in a row")
    }

    @Test("the same code twice in one frame is one observation")
    func duplicateInFrame() {
        var camera = Camera()
        camera.frame(["A", "A"])
        #expect(camera.accepted.isEmpty)
        camera.frame(["A", "A"])
        #expect(camera.acceptedTexts == ["A"])
    }

    @Test("the thresholds are parameters")
    func parameters() {
        var rule = InViewRule(confirmations: 3, outOfViewNanos: 500_000_000)
        #expect(rule.confirmations == 3 && rule.outOfViewNanos == 500_000_000)
        #expect(InViewRule().confirmations == 2 && InViewRule().outOfViewNanos == 1_500_000_000)
        let a = [DecodedLabel(text: "A", symbology: .code128, corners: [])]
        func frame(_ ms: UInt64) -> Frame { Frame(width: 1, height: 1, format: .gray, bytes: [], arrivalNanos: ms * 1_000_000) }
        #expect(rule.observe(a, in: frame(0)).isEmpty)
        #expect(rule.observe(a, in: frame(66)).isEmpty)
        #expect(rule.observe(a, in: frame(133)).count == 1)
        #expect(rule.observe(a, in: frame(633)).isEmpty)
        #expect(rule.observe(a, in: frame(700)).isEmpty)
        #expect(rule.observe(a, in: frame(766)).count == 1, "out of view 0.5 s, then three frames")
        #expect(InViewRule(confirmations: 0).confirmations == 1)
    }

    @Test("what is out of view for 1.5 s is forgotten")
    func forgets() {
        var camera = Camera()
        camera.hold(["A", "B", "C"], seconds: 1)
        #expect(camera.rule.trackedCount == 3)
        camera.hold([], seconds: 1.6)
        #expect(camera.rule.trackedCount == 0)
    }
}
