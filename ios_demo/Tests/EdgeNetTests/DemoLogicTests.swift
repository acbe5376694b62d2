import EdgeNet
import EdgeNetDemoCore
import Foundation
import Testing

@Suite("Top-k, softmax and labels")
struct Ranking {
    @Test func topKOrdersByScoreThenIndex() {
        let top = topK([0.1, 0.5, 0.2, 0.5, 0.0], k: 3, labels: ["a", "b", "c"])
        #expect(top.map(\.index) == [1, 3, 2])
        #expect(top.map(\.label) == ["b", "3", "c"])  // index 3 has no label
        #expect(top.map(\.score) == [0.5, 0.5, 0.2])
    }

    @Test func topKClampsK() {
        #expect(topK([1, 2], k: 5).map(\.index) == [1, 0])
        #expect(topK([1, 2], k: 0).isEmpty)
        #expect(topK([], k: 3).isEmpty)
    }

    @Test func softmaxMatchesClosedForm() {
        // exp(0) : exp(ln 2) : exp(ln 5) = 1 : 2 : 5
        let probabilities = softmax([0, logf(2), logf(5)].map { $0 + 100 })  // shift-invariant, no overflow
        #expect(closeEnough(probabilities, [1.0 / 8, 2.0 / 8, 5.0 / 8]))
    }

    @Test func labelsParse() {
        #expect(Labels.parse("cat\ndog\n\n bird \n") == ["cat", "dog", "bird"])
        #expect(Labels.parse("zero, one,two") == ["zero", "one", "two"])
        #expect(Labels.digits == ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"])
    }
}

@Suite("Preprocessing RGBA bytes into the 8x8 input")
struct Preprocessing {
    let preprocessor = DigitPreprocessor()

    /// An image with black ink on the given pixel rectangle (x0..<x1, y0..<y1).
    func image(width: Int, height: Int, inkX: Range<Int>, inkY: Range<Int>) -> RGBAImage {
        var pixels = [UInt8](repeating: 255, count: 4 * width * height)  // opaque white
        for y in inkY {
            for x in inkX {
                let i = 4 * (y * width + x)
                pixels[i] = 0
                pixels[i + 1] = 0
                pixels[i + 2] = 0
            }
        }
        return RGBAImage(width: width, height: height, pixels: pixels)!
    }

    @Test func emptyCanvasGivesZeros() {
        #expect(preprocessor.modelInput(from: RGBAImage(width: 50, height: 30)) == [Float](repeating: 0, count: 64))
        #expect(preprocessor.modelInput(from: image(width: 40, height: 40, inkX: 0..<0, inkY: 0..<0))
            == [Float](repeating: 0, count: 64))
    }

    @Test func fullyInkedGivesOnes() {
        #expect(preprocessor.modelInput(from: image(width: 24, height: 24, inkX: 0..<24, inkY: 0..<24))
            == [Float](repeating: 1, count: 64))
    }

    /// A vertical bar 20 px wide and 80 px tall: its 80 px square box spans
    /// x 10..<90, so cells are 10 px and the bar fills exactly columns 3 and 4.
    @Test func verticalBarIsCenteredAndScaledToTheGrid() {
        let input = preprocessor.modelInput(from: image(width: 100, height: 100, inkX: 40..<60, inkY: 10..<90))
        var expected = [Float](repeating: 0, count: 64)
        for row in 0..<8 {
            expected[row * 8 + 3] = 1
            expected[row * 8 + 4] = 1
        }
        #expect(input == expected)
    }

    /// Position and size on the canvas do not matter, only the shape.
    @Test func translationAndScaleInvariant() {
        let small = preprocessor.modelInput(from: image(width: 64, height: 64, inkX: 4..<12, inkY: 2..<18))
        let large = preprocessor.modelInput(from: image(width: 300, height: 200, inkX: 200..<240, inkY: 100..<180))
        #expect(small == large)
    }

    @Test func rowPaddingAndStraightAlphaAreRespected() {
        // 2x2 image, rows padded to 12 bytes; only pixel (1, 1) is ink:
        // straight-alpha black at half opacity.
        var pixels = [UInt8](repeating: 0, count: 24)
        pixels[12 + 4 + 3] = 128
        let straight = RGBAImage(width: 2, height: 2, bytesPerRow: 12, isPremultiplied: false, pixels: pixels)!
        #expect(abs(straight.ink(x: 1, y: 1) - 128 / 255) < 1e-6)
        #expect(straight.ink(x: 0, y: 0) == 0)
        // Half-transparent mid gray: straight (128,128,128,128) vs premultiplied (64,64,64,128).
        let gray: [UInt8] = [128, 128, 128, 128]
        let premultipliedGray: [UInt8] = [64, 64, 64, 128]
        let a = RGBAImage(width: 1, height: 1, isPremultiplied: false, pixels: gray)!.ink(x: 0, y: 0)
        let b = RGBAImage(width: 1, height: 1, isPremultiplied: true, pixels: premultipliedGray)!.ink(x: 0, y: 0)
        #expect(abs(a - b) < 0.01)
        #expect(RGBAImage(width: 2, height: 2, bytesPerRow: 4, pixels: pixels) == nil)  // rows too short
    }

    @Test func rasterizedLineCoversItsPixels() {
        let drawing = Drawing(strokes: [[.init(x: 10, y: 20), .init(x: 90, y: 20)]])
        let image = drawing.rasterize(width: 100, height: 40, lineWidth: 6)
        #expect(image.ink(x: 50, y: 20) == 1)  // on the line
        #expect(image.ink(x: 50, y: 17) == 1)  // within the half width (center 17.5 is 2.5 px away)
        #expect(image.ink(x: 50, y: 10) == 0)  // far away
        #expect(image.ink(x: 5, y: 20) == 0)  // beyond the round cap (4.5 px from the end)
        #expect(image.ink(x: 8, y: 20) == 1)  // inside the round cap
    }
}

@Suite("Model info and benchmark")
struct ModelInfoTests {
    @Test func describesEveryInputAndOutput() throws {
        let testCase = try Fixtures.testCase("two_inputs")
        let info = try ModelInfo(interpreter: Interpreter(modelPath: testCase.modelPath))
        #expect(info.inputs.map(\.name) == testCase.inputs.map(\.name))
        #expect(info.inputs.map(\.shape.dimensions) == testCase.inputs.map(\.shape))
        #expect(info.outputs.map(\.name) == testCase.outputs.map(\.name))
        #expect(info.outputs.map(\.shape.dimensions) == testCase.outputs.map(\.shape))
        #expect(info.inputs[0].summary == "a  float32 (1, 5, 5, 3)")
        #expect(info.arenaBytes > 0)
    }

    @Test func benchmarkTimesEveryRun() throws {
        let interpreter = try Interpreter(modelPath: try Fixtures.testCase("block").modelPath)
        let result = try benchmark(interpreter, runs: 9)
        #expect(result.runs == 9)
        #expect(result.minimum <= result.median)
        #expect(result.minimum > .zero)
        #expect(throws: InterpreterError.self) { try benchmark(interpreter, runs: 0) }
    }

    @Test func medianOfDurations() {
        let odd = BenchmarkResult(durations: [.milliseconds(3), .milliseconds(1), .milliseconds(2)])
        #expect(odd == BenchmarkResult(runs: 3, median: .milliseconds(2), minimum: .milliseconds(1)))
        let even = BenchmarkResult(durations: [.milliseconds(4), .milliseconds(1), .milliseconds(2), .milliseconds(3)])
        #expect(even?.median == .microseconds(2500))
        #expect(BenchmarkResult(durations: []) == nil)
        #expect(Duration.microseconds(1500).milliseconds == 1.5)
    }
}
