import EdgeNet
import Foundation

/// The demo's whole pipeline behind the drawing canvas: RGBA pixels ->
/// `DigitPreprocessor` -> the digits model -> top-k with labels and latency.
///
/// Not thread-safe (it owns an `Interpreter`); create one per task or actor.
public final class DigitClassifier {
    public struct Result: Equatable, Sendable {
        /// Best classes first, scores as probabilities.
        public let top: [Prediction]
        /// Time spent in `invoke()` only (preprocessing excluded).
        public let latency: Duration
    }

    public let interpreter: Interpreter
    public let labels: [String]
    public let preprocessor: DigitPreprocessor
    private let inputIndex: Int
    private let outputIndex: Int

    /// Uses the model's first input and first output. The input must be float32
    /// with `gridSize * gridSize` elements; labels come from the model's
    /// "labels" metadata, or "0"..."9".
    public init(model: Model, preprocessor: DigitPreprocessor = DigitPreprocessor(), threadCount: Int? = 1)
        throws(InterpreterError)
    {
        interpreter = try Interpreter(model: model, options: .init(threadCount: threadCount))
        self.preprocessor = preprocessor
        inputIndex = 0
        outputIndex = 0
        let input = try interpreter.input(at: inputIndex)
        let expected = preprocessor.gridSize * preprocessor.gridSize
        guard input.dataType == .float32, input.shape.elementCount == expected else {
            throw InterpreterError(
                .invalidArgument,
                "the digits demo needs a float32 input of \(expected) values, the model's input '\(input.name)' is \(input.dataType) \(input.shape)"
            )
        }
        labels = model.metadata(forKey: Labels.metadataKey).map(Labels.parse) ?? Labels.digits
    }

    /// Classifies a drawing given as raw RGBA pixels. An empty drawing still
    /// runs (on an all-zero input).
    public func classify(_ image: RGBAImage, k: Int = 3) throws(InterpreterError) -> Result {
        try classify(modelInput: preprocessor.modelInput(from: image), k: k)
    }

    /// Classifies an already preprocessed 8x8 input (values in [0, 1]).
    public func classify(modelInput: [Float], k: Int = 3) throws(InterpreterError) -> Result {
        try interpreter.copy(Data(copyingBufferOf: modelInput), toInputAt: inputIndex)
        let clock = ContinuousClock()
        let start = clock.now
        try interpreter.invoke()
        let latency = clock.now - start
        let output = try interpreter.output(at: outputIndex).floats()
        // Show probabilities whether the model ends in softmax or in logits.
        let isDistribution = output.allSatisfy { $0 >= 0 } && abs(output.reduce(0, +) - 1) < 1e-3
        let scores = isDistribution ? output : softmax(output)
        return Result(top: topK(scores, k: k, labels: labels), latency: latency)
    }
}
