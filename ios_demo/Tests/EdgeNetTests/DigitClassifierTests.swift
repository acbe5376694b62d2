import EdgeNet
import EdgeNetDemoCore
import Foundation
import Testing

/// Digits drawn as finger strokes on a 280x280 canvas, in unit coordinates
/// (0...1, origin top-left) — what a user would draw in the demo app.
enum SyntheticDigit: Int, CaseIterable, CustomTestStringConvertible {
    case zero = 0, one = 1, two = 2, three = 3, four = 4, seven = 7

    var strokes: [[(Double, Double)]] {
        switch self {
        case .zero:
            return [arc(center: (0.5, 0.5), radii: (0.2, 0.33), from: 0, to: 360)]
        case .one:
            return [[(0.38, 0.28), (0.52, 0.15), (0.52, 0.85)]]
        case .two:
            return [arc(center: (0.5, 0.33), radii: (0.2, 0.18), from: 200, to: 380) + [(0.3, 0.85), (0.72, 0.85)]]
        case .three:
            return [arc(center: (0.5, 0.32), radii: (0.2, 0.17), from: 200, to: 450),
                    arc(center: (0.5, 0.67), radii: (0.22, 0.18), from: 270, to: 520)]
        case .four:
            return [[(0.62, 0.85), (0.62, 0.15), (0.28, 0.62), (0.78, 0.62)]]
        case .seven:
            // With a crossbar, as the dataset's writers drew their sevens.
            return [[(0.36, 0.15), (0.64, 0.15), (0.46, 0.85)], [(0.4, 0.48), (0.64, 0.48)]]
        }
    }

    var testDescription: String { "drawn \(rawValue)" }

    /// Points along an ellipse; angles in degrees, 0 = right, increasing clockwise on screen.
    private func arc(center: (Double, Double), radii: (Double, Double), from: Double, to: Double) -> [(Double, Double)] {
        stride(from: from, through: to, by: 10).map { degrees in
            let angle = degrees * .pi / 180
            return (center.0 + radii.0 * cos(angle), center.1 + radii.1 * sin(angle))
        }
    }

    func drawing(canvas: Double = 280) -> Drawing {
        Drawing(strokes: strokes.map { $0.map { Drawing.Point(x: $0.0 * canvas, y: $0.1 * canvas) } })
    }
}

@Suite("The digits demo pipeline")
struct DigitClassifierTests {
    /// Every digits model variant the fixtures hold ("float", and "int8" once quantization exists).
    static var variants: [String] { ((try? Fixtures.manifest().digits.models.keys.sorted()) ?? []) }

    /// "app" means the model bundled in the SwiftUI app; otherwise a fixture variant.
    func modelPath(_ variant: String) throws -> String {
        let digits = try Fixtures.manifest().digits
        if variant == "app" {
            return DigitsFixture.appModelPath
        }
        return Fixtures.path(try #require(digits.models[variant]).model)
    }

    func classifier(_ variant: String) throws -> DigitClassifier {
        try DigitClassifier(model: Model(path: modelPath(variant)))
    }

    @Test func digitsModelsExist() throws {
        #expect(try Fixtures.manifest().digits.models["float"] != nil)
    }

    /// The app must ship the current example model (see make_test_fixtures.py --update-app-model).
    @Test func appBundlesTheCurrentExampleModel() throws {
        let digits = try Fixtures.manifest().digits
        let variant = try #require(digits.appVariant, "\(DigitsFixture.appModelPath) is not a current example model; run python ios_demo/make_test_fixtures.py --update-app-model")
        #expect(variant == (digits.models["int8"] != nil ? "int8" : "float"), "the app should ship the int8 model")
    }

    /// On held-out images the Swift pipeline's scores equal the Python
    /// interpreter's probabilities, and its top-1 is their argmax.
    @Test(arguments: variants + ["app"])
    func heldOutImagesMatchPython(variant: String) throws {
        let digits = try Fixtures.manifest().digits
        let entry = try #require(digits.models[variant == "app" ? digits.appVariant ?? "" : variant])
        let classifier = try classifier(variant)
        let expected = entry.expected.floats
        var correct = 0
        for index in 0..<digits.imageCount {
            let result = try classifier.classify(modelInput: digits.image(index), k: 10)
            let python = Array(expected[(index * 10)..<((index + 1) * 10)])
            // Python's output is either probabilities or logits; compare like for like.
            let pythonScores = abs(python.reduce(0, +) - 1) < 1e-3 ? python : softmax(python)
            let scores = result.top.sorted { $0.index < $1.index }.map(\.score)
            #expect(closeEnough(scores, pythonScores, rtol: 1e-4, atol: 1e-5), "image \(index)")
            #expect(result.top[0] == topK(pythonScores, k: 1, labels: Labels.digits)[0])
            #expect(result.latency > .zero)
            correct += result.top[0].index == digits.labels[index] ? 1 : 0
        }
        // The example model is accurate; a broken input layout would not be.
        #expect(Double(correct) / Double(digits.imageCount) > 0.9)
    }

    /// The whole app path: strokes -> RGBA bytes -> preprocessing -> model -> top-3.
    @Test(arguments: variants + ["app"], SyntheticDigit.allCases)
    func syntheticDrawnDigitIsRecognized(variant: String, digit: SyntheticDigit) throws {
        let image = digit.drawing().rasterize(width: 280, height: 280, lineWidth: 24)
        let result = try classifier(variant).classify(image)
        #expect(result.top.count == 3)
        #expect(result.top[0].label == String(digit.rawValue), "top-3: \(result.top)")
        #expect(result.top[0].score > result.top[1].score)
    }

    @Test func emptyCanvasStillRuns() throws {
        let result = try classifier("float").classify(RGBAImage(width: 100, height: 100))
        #expect(result.top.count == 3)
        #expect(result.top.allSatisfy { $0.score >= 0 && $0.score <= 1 })
    }

    @Test func rejectsAModelWithTheWrongInput() throws {
        let model = try Model(path: try Fixtures.testCase("mlp").modelPath)
        #expect(throws: InterpreterError.self) { try DigitClassifier(model: model) }
    }
}
