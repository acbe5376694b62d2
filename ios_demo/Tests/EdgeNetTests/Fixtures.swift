import EdgeNet
import Foundation

/// The models, inputs and Python-computed expected outputs that
/// ios_demo/make_test_fixtures.py writes to ios_demo/Tests/Fixtures.
/// Missing fixtures fail the tests with a message saying how to make them.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func path(_ file: String) -> String { directory.appendingPathComponent(file).path }

    /// Decoded once; every test reads the same manifest.
    private static let loaded: Result<Manifest, FixtureError> = {
        let url = directory.appendingPathComponent("manifest.json")
        guard let data = try? Data(contentsOf: url) else {
            return .failure(FixtureError("no \(url.path); run ios_demo/run_swift_tests.sh (or ios_demo/make_test_fixtures.py)"))
        }
        do {
            return .success(try JSONDecoder().decode(Manifest.self, from: data))
        } catch {
            return .failure(FixtureError("cannot decode \(url.path): \(error)"))
        }
    }()

    static func manifest() throws -> Manifest { try loaded.get() }

    static func testCase(_ name: String) throws -> TestCase {
        guard let found = try manifest().cases.first(where: { $0.name == name }) else {
            throw FixtureError("no fixture case '\(name)'; regenerate the fixtures")
        }
        return found
    }

    /// Case names for parameterized tests (empty if the fixtures are missing,
    /// in which case `fixturesExist` fails).
    static var caseNames: [String] { (try? manifest().cases.map(\.name)) ?? [] }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct Manifest: Decodable {
    let cases: [TestCase]
    let digits: DigitsFixture
}

struct TestCase: Decodable {
    let name: String
    let model: String
    /// Input shape to set with resizeInput before running (dynamic batch).
    let resize: [Int]?
    let inputs: [TensorFixture]
    let outputs: [TensorFixture]

    var modelPath: String { Fixtures.path(model) }
}

struct TensorFixture: Decodable {
    let name: String
    let shape: [Int]
    /// numpy dtype name: "float32", "int8", ...
    let dtype: String
    /// base64 of the raw little-endian bytes.
    let data: String
    let quantization: QuantizationFixture?

    var bytes: Data { Data(base64Encoded: data) ?? Data() }
    var floats: [Float] { bytes.toArray(of: Float.self) }

    var dataType: Tensor.DataType? {
        ["float32": .float32, "int8": .int8, "int32": .int32, "uint8": .uint8, "int16": .int16,
         "int64": .int64, "bool": .bool][dtype]
    }
}

struct QuantizationFixture: Decodable {
    let scale: [Float]
    let zeroPoint: [Int]
    let axis: Int

    enum CodingKeys: String, CodingKey {
        case scale, zeroPoint = "zero_point", axis
    }
}

struct DigitsFixture: Decodable {
    struct DigitsModel: Decodable {
        let model: String
        let input: String
        let output: String
        /// The Python interpreter's output for every image, stacked.
        let expected: TensorFixture
    }

    /// (N, 8, 8) held-out images, values in [0, 1].
    let images: TensorFixture
    let labels: [Int]
    /// "float" and (once quantization exists) "int8".
    let models: [String: DigitsModel]
    /// The variant the demo app's bundled model is byte-identical to; nil when
    /// the bundled copy is stale.
    let appVariant: String?

    enum CodingKeys: String, CodingKey {
        case images, labels, models, appVariant = "app_variant"
    }

    /// The model the SwiftUI app ships in its bundle.
    static let appModelPath = Fixtures.directory
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("EdgeNetDigits.swiftpm/App/Resources/digits.enet").path

    var imageCount: Int { images.shape[0] }
    func image(_ index: Int) -> [Float] { Array(images.floats[(index * 64)..<((index + 1) * 64)]) }
}

/// True when `actual` equals `expected` within a tight float tolerance: the
/// Swift package and the Python extension compile the same C core, but with
/// different compilers and flags (e.g. FMA contraction), so the last bits
/// may differ.
func closeEnough(_ actual: [Float], _ expected: [Float], rtol: Float = 1e-5, atol: Float = 1e-6) -> Bool {
    actual.count == expected.count
        && zip(actual, expected).allSatisfy { abs($0 - $1) <= atol + rtol * abs($1) }
}
