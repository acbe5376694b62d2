import EdgeNet

/// What the "open a model" screen shows about any `.enet` file: its inputs,
/// outputs and arena size, as plain values the UI can list.
public struct ModelInfo: Equatable, Sendable {
    public struct TensorSummary: Equatable, Sendable, Identifiable {
        public var id: String { name }
        public let name: String
        public let shape: Tensor.Shape
        public let dataType: Tensor.DataType
        public let quantization: Tensor.QuantizationParameters?

        /// One line for a list row, e.g. `image  float32 (1, 8, 8, 1)` or
        /// `x  int8 (1, 4) scale 0.05 zero point -3`.
        public var summary: String {
            var text = "\(name)  \(dataType) \(shape)"
            if let q = quantization {
                text += q.scales.count == 1
                    ? " scale \(q.scale) zero point \(q.zeroPoint)"
                    : " \(q.scales.count) scales along axis \(q.axis)"
            }
            return text
        }
    }

    public let inputs: [TensorSummary]
    public let outputs: [TensorSummary]
    /// Bytes of activation memory the interpreter planned.
    public let arenaBytes: Int

    public init(inputs: [TensorSummary], outputs: [TensorSummary], arenaBytes: Int) {
        self.inputs = inputs
        self.outputs = outputs
        self.arenaBytes = arenaBytes
    }

    /// Reads the description from a ready interpreter (no inference needed).
    public init(interpreter: Interpreter) throws(InterpreterError) {
        func summarize(_ tensor: Tensor) -> TensorSummary {
            TensorSummary(
                name: tensor.name, shape: tensor.shape, dataType: tensor.dataType,
                quantization: tensor.quantizationParameters)
        }
        var inputs: [TensorSummary] = []
        for index in 0..<interpreter.inputTensorCount {
            inputs.append(summarize(try interpreter.input(at: index)))
        }
        // Output tensors only hold data after invoke, but their description is
        // known up front: read it through the metadata-only path.
        var outputs: [TensorSummary] = []
        for index in 0..<interpreter.outputTensorCount {
            outputs.append(summarize(try interpreter.outputDescription(at: index)))
        }
        self.init(inputs: inputs, outputs: outputs, arenaBytes: interpreter.arenaSize)
    }
}
