import EdgeNet
import Foundation
import Testing

/// Copies a case's inputs by name (resizing first if the case says so), invokes,
/// and returns the interpreter for reading outputs.
private func runCase(_ testCase: TestCase, on interpreter: Interpreter) throws -> Interpreter {
    if let shape = testCase.resize {
        try interpreter.resizeInput(at: 0, to: Tensor.Shape(shape))
    }
    for input in testCase.inputs {
        let index = try #require(interpreter.inputIndex(named: input.name), "model has no input '\(input.name)'")
        try interpreter.copy(input.bytes, toInputAt: index)
    }
    try interpreter.invoke()
    return interpreter
}

/// Every output of `interpreter` equals the Python interpreter's: name, type, shape and values.
private func expectOutputsMatch(_ interpreter: Interpreter, _ testCase: TestCase) throws {
    #expect(interpreter.outputTensorCount == testCase.outputs.count)
    for expected in testCase.outputs {
        let index = try #require(interpreter.outputIndex(named: expected.name), "no output '\(expected.name)'")
        let actual = try interpreter.output(at: index)
        #expect(actual.name == expected.name)
        #expect(actual.dataType == expected.dataType)
        #expect(actual.shape.dimensions == expected.shape)
        if actual.dataType == .float32 {
            #expect(closeEnough(try actual.floats(), expected.floats), "\(testCase.name): '\(expected.name)' differs from Python")
        } else {
            #expect(actual.data == expected.bytes, "\(testCase.name): '\(expected.name)' differs from Python")
        }
    }
}

@Suite("Outputs equal the Python Interpreter's")
struct OutputsMatchPython {
    @Test func fixturesExist() throws {
        let manifest = try Fixtures.manifest()
        #expect(manifest.cases.count >= 4)
    }

    @Test("model loaded from a file", arguments: Fixtures.caseNames)
    func fromFile(name: String) throws {
        let testCase = try Fixtures.testCase(name)
        try expectOutputsMatch(runCase(testCase, on: Interpreter(modelPath: testCase.modelPath)), testCase)
    }

    @Test("model loaded from memory, one and two threads", arguments: Fixtures.caseNames, [1, 2])
    func fromData(name: String, threads: Int) throws {
        let testCase = try Fixtures.testCase(name)
        let data = try Data(contentsOf: URL(fileURLWithPath: testCase.modelPath))
        let interpreter = try Interpreter(modelData: data, options: .init(threadCount: threads))
        #expect(interpreter.options.threadCount == threads)
        try expectOutputsMatch(runCase(testCase, on: interpreter), testCase)
    }

    @Test("run([String: [Float]]) convenience", arguments: Fixtures.caseNames)
    func runByName(name: String) throws {
        let testCase = try Fixtures.testCase(name)
        let interpreter = try Interpreter(modelPath: testCase.modelPath)
        if let shape = testCase.resize {
            try interpreter.resizeInput(at: 0, to: Tensor.Shape(shape))
        }
        let feeds = Dictionary(uniqueKeysWithValues: testCase.inputs.map { ($0.name, $0.floats) })
        let outputs = try interpreter.run(feeds)
        #expect(Set(outputs.keys) == Set(testCase.outputs.map(\.name)))
        for expected in testCase.outputs {
            #expect(closeEnough(try #require(outputs[expected.name]), expected.floats))
        }
    }

    @Test("input/output descriptions equal the Python ones", arguments: Fixtures.caseNames)
    func descriptions(name: String) throws {
        let testCase = try Fixtures.testCase(name)
        let interpreter = try Interpreter(modelPath: testCase.modelPath)
        if let shape = testCase.resize {
            try interpreter.resizeInput(at: 0, to: Tensor.Shape(shape))
        }
        #expect(interpreter.inputTensorCount == testCase.inputs.count)
        for expected in testCase.inputs {
            let index = try #require(interpreter.inputIndex(named: expected.name))
            // copy(_:toInputAt:) returns the input holding the copied bytes.
            let input = try interpreter.copy(expected.bytes, toInputAt: index)
            #expect(input.name == expected.name)
            #expect(input.shape.dimensions == expected.shape)
            #expect(input.dataType == expected.dataType)
            #expect(input.data == expected.bytes)
            #expect(input.quantizationParameters?.scales == expected.quantization?.scale)
            #expect(input.quantizationParameters?.zeroPoints == expected.quantization?.zeroPoint)
        }
        for expected in testCase.outputs {
            let output = try interpreter.outputDescription(at: try #require(interpreter.outputIndex(named: expected.name)))
            #expect(output.shape.dimensions == expected.shape)
            #expect(output.quantizationParameters?.scales == expected.quantization?.scale)
            #expect(output.data.isEmpty)
        }
        #expect(interpreter.arenaSize > 0)
    }
}

@Suite("A shared Model runs in concurrent tasks")
struct Concurrency {
    @Test func manyInterpretersOnOneModelAgree() async throws {
        let testCase = try Fixtures.testCase("block")
        let model = try Model(path: testCase.modelPath)  // shared: Model is Sendable
        let input = try #require(testCase.inputs.first).bytes
        let expected = try #require(testCase.outputs.first)

        let results = try await withThrowingTaskGroup(of: [Float].self) { group in
            for task in 0..<16 {
                group.addTask {
                    // Each task owns its interpreter (Interpreter is not Sendable).
                    let interpreter = try Interpreter(model: model, options: .init(threadCount: 1 + task % 2))
                    var last: [Float] = []
                    for _ in 0..<25 {
                        try interpreter.copy(input, toInputAt: 0)
                        try interpreter.invoke()
                        last = try interpreter.output(at: 0).floats()
                    }
                    return last
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 16)
        for result in results {
            #expect(result == results[0])
            #expect(closeEnough(result, expected.floats))
        }
    }
}
