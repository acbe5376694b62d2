import EdgeNet
import Foundation
import Testing

/// The streaming fixture (make_test_fixtures.py): a model whose state holds a running sum,
/// y_t = 2 * (x_1 + ... + x_t), and the outputs of a numpy loop over one stream.
private struct Stream: Decodable {
    let frames: [[Float]]
    let expected: [[Float]]

    static func load() throws -> Stream {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("streaming.json")))
        return try JSONDecoder().decode(Stream.self, from: data)
    }
}

private func step(_ interpreter: Interpreter, _ frame: [Float]) throws -> [Float] {
    try #require(try interpreter.run(["x": frame])["y"])
}

@Suite("State variables and resetState")
struct StreamingStateTests {
    @Test func stateCarriesAcrossInvokesAndResetRestoresIt() throws {
        let stream = try Stream.load()
        let interpreter = try Interpreter(modelPath: Fixtures.path("streaming.enet"))
        for (t, frame) in stream.frames.enumerated() {
            #expect(closeEnough(try step(interpreter, frame), stream.expected[t], rtol: 1e-5, atol: 1e-5), "invoke \(t)")
        }
        try interpreter.resetState()
        #expect(closeEnough(try step(interpreter, stream.frames[0]), stream.expected[0], rtol: 1e-5, atol: 1e-5))
        #expect(closeEnough(try step(interpreter, stream.frames[1]), stream.expected[1], rtol: 1e-5, atol: 1e-5))
    }

    @Test func twoInterpretersKeepSeparateStates() throws {
        let stream = try Stream.load()
        let model = try Model(path: Fixtures.path("streaming.enet"))
        let a = try Interpreter(model: model)
        let b = try Interpreter(model: model)
        _ = try step(a, stream.frames[0])
        #expect(closeEnough(try step(a, stream.frames[1]), stream.expected[1], rtol: 1e-5, atol: 1e-5))
        #expect(closeEnough(try step(b, stream.frames[0]), stream.expected[0], rtol: 1e-5, atol: 1e-5))
        try b.resetState()
        #expect(closeEnough(try step(a, stream.frames[2]), stream.expected[2], rtol: 1e-5, atol: 1e-5))
    }

    @Test func resizeInputByNameRejectsAnUnknownName() throws {
        let interpreter = try Interpreter(modelPath: Fixtures.path("streaming.enet"))
        #expect(throws: InterpreterError.self) { try interpreter.resizeInput(named: "nope", to: Tensor.Shape([1, 4])) }
        #expect(throws: InterpreterError.self) { try interpreter.resizeInput(named: "x", to: Tensor.Shape([2, 4])) }
        try interpreter.resizeInput(named: "x", to: Tensor.Shape([1, 4]))
    }
}
