import EdgeNet
import Foundation
import Testing

/// Runs `body` and returns the InterpreterError it throws (failing the test if
/// it throws nothing or something else).
private func error<T>(_ body: () throws -> T, sourceLocation: SourceLocation = #_sourceLocation) -> InterpreterError? {
    do {
        _ = try body()
        Issue.record("expected an InterpreterError, but the call succeeded", sourceLocation: sourceLocation)
    } catch let error as InterpreterError {
        #expect(!error.message.isEmpty, "an error must say what went wrong", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected an InterpreterError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

private func modelBytes(_ name: String) throws -> Data {
    try Data(contentsOf: URL(fileURLWithPath: try Fixtures.testCase(name).modelPath))
}

@Suite("Bad models throw")
struct BadModels {
    @Test func missingFile() {
        let path = Fixtures.path("no-such-model.enet")
        #expect(error { try Model(path: path) }?.code == .io)
        #expect(error { try Interpreter(modelPath: path) }?.code == .io)
    }

    @Test func emptyData() {
        #expect(error { try Interpreter(modelData: Data()) }?.code == .invalidModel)
    }

    @Test func wrongFileIdentifier() throws {
        var bytes = try modelBytes("mlp")
        // FlatBuffers keep the 4-byte file identifier ("ENET") at offset 4.
        #expect(bytes[4..<8] == Data("ENET".utf8))
        bytes.replaceSubrange(4..<8, with: Data("XXXX".utf8))
        #expect(error { try Model(data: bytes) }?.code == .invalidModel)
    }

    /// Format v2 files end with a CRC32C of everything before it: a changed
    /// weight byte is refused by default and loads with the opt-out.
    @Test func flippedWeightByteFailsTheChecksum() throws {
        var bytes = try modelBytes("block")
        #expect(bytes.suffix(4) == Data("ECRC".utf8))
        bytes[bytes.count - 20] ^= 0x10  // constant data, just before the 8-byte trailer
        let failure = error { try Model(data: bytes) }
        #expect(failure?.code == .invalidModel)
        #expect(failure?.message.contains("model file is corrupted (checksum mismatch)") == true)
        #expect((try? Model(data: bytes, verifyChecksum: false)) != nil)
    }

    @Test func truncated() throws {
        let bytes = try modelBytes("block")
        for length in [1, 7, 8, 16, 64, bytes.count / 3, bytes.count / 2, bytes.count - 1] {
            let code = error { try Model(data: bytes.prefix(length)) }?.code
            #expect(code == .invalidModel, "truncated to \(length) of \(bytes.count) bytes")
        }
    }

    /// Random corruption must never crash: each file either fails to load with
    /// an InterpreterError, or loads and then runs or fails cleanly.
    @Test func randomlyCorruptedNeverCrash() throws {
        let original = try modelBytes("block")
        var generator = SplitMix64(seed: 42)
        var rejected = 0
        for _ in 0..<300 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[position] = UInt8.random(in: 0...255, using: &generator)
            }
            do {
                let interpreter = try Interpreter(modelData: bytes)
                for index in 0..<interpreter.inputTensorCount {
                    try interpreter.copy(Data(count: try interpreter.input(at: index).data.count), toInputAt: index)
                }
                try interpreter.invoke()
            } catch {
                // Typed throws: everything above can only throw InterpreterError.
                rejected += 1
            }
        }
        // Flipping bytes in the FlatBuffer header area must be caught often.
        #expect(rejected > 0)
    }
}

@Suite("Bad calls throw")
struct BadCalls {
    let interpreter: Interpreter
    let testCase: TestCase

    init() throws {
        testCase = try Fixtures.testCase("mlp")
        interpreter = try Interpreter(modelPath: testCase.modelPath)
    }

    @Test func tensorIndexOutOfRange() {
        for index in [-1, interpreter.inputTensorCount, 1000, Int.max, Int.min] {
            #expect(error { try interpreter.input(at: index) }?.code == .invalidArgument, "input \(index)")
            #expect(error { try interpreter.copy(Data(count: 4), toInputAt: index) }?.code == .invalidArgument)
        }
        for index in [-1, interpreter.outputTensorCount, Int.max] {
            #expect(error { try interpreter.outputDescription(at: index) }?.code == .invalidArgument, "output \(index)")
        }
    }

    @Test func wrongByteCount() throws {
        let size = try interpreter.input(at: 0).data.count
        for count in [0, 1, size - 4, size + 4] {
            let thrown = error { try interpreter.copy(Data(count: count), toInputAt: 0) }
            #expect(thrown?.code == .invalidArgument)
            // The C core's own message comes through, naming the input.
            #expect(thrown?.message.contains(testCase.inputs[0].name) == true, "\(String(describing: thrown))")
        }
    }

    @Test func outputBeforeInvoke() {
        #expect(error { try interpreter.output(at: 0) }?.code == .invalidState)
    }

    @Test func resizeStaticInput() throws {
        let shape = try interpreter.input(at: 0).shape
        #expect(error { try interpreter.resizeInput(at: 0, to: [shape.dimensions[0] + 1, shape.dimensions[1]]) }?.code
            == .invalidArgument)
        #expect(error { try interpreter.resizeInput(at: 0, to: [1, 2, 3]) }?.code == .invalidArgument)
        #expect(error { try interpreter.resizeInput(at: 5, to: shape) }?.code == .invalidArgument)
    }

    @Test func resizeDynamicInputWrongly() throws {
        let dynamic = try Interpreter(modelPath: try Fixtures.testCase("dynamic").modelPath)
        let shape = try dynamic.input(at: 0).shape
        #expect(shape.dimensions.first == -1)
        // Only the dynamic batch may change, not the feature size.
        #expect(error { try dynamic.resizeInput(at: 0, to: [3, shape.dimensions[1] + 1]) }?.code == .invalidArgument)
        #expect(error { try dynamic.resizeInput(at: 0, to: [-5, shape.dimensions[1]]) }?.code == .invalidArgument)
    }

    @Test func hugeThreadCount() {
        #expect(error { try Interpreter(modelPath: testCase.modelPath, options: .init(threadCount: Int.max)) }?.code
            == .invalidArgument)
    }

    @Test func runWithUnknownName() throws {
        let feeds = Dictionary(uniqueKeysWithValues: testCase.inputs.map { ($0.name, $0.floats) })
        var wrong = feeds
        wrong["nonsense"] = [1, 2, 3]
        let thrown = error { try interpreter.run(wrong) }
        #expect(thrown?.code == .invalidArgument)
        #expect(thrown?.message.contains("nonsense") == true)
    }

    @Test func runWithMissingInput() {
        let thrown = error { try interpreter.run([:]) }
        #expect(thrown?.code == .invalidArgument)
        #expect(thrown?.message.contains(testCase.inputs[0].name) == true)
    }

    @Test func runWithWrongCount() {
        let name = testCase.inputs[0].name
        let thrown = error { try interpreter.run([name: [1, 2, 3]]) }
        #expect(thrown?.code == .invalidArgument)
        #expect(thrown?.message.contains(name) == true)
    }

    /// After any of the errors above the interpreter still works.
    @Test func usableAfterErrors() throws {
        _ = error { try interpreter.copy(Data(count: 1), toInputAt: 0) }
        _ = error { try interpreter.input(at: 99) }
        let feeds = Dictionary(uniqueKeysWithValues: testCase.inputs.map { ($0.name, $0.floats) })
        let outputs = try interpreter.run(feeds)
        for expected in testCase.outputs {
            #expect(closeEnough(try #require(outputs[expected.name]), expected.floats))
        }
    }
}

/// A tiny deterministic generator so corruption runs are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
