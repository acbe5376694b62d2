import CEdgeNet
import Foundation

/// An input or output of an interpreter: what it is and, for `Interpreter.input(at:)`
/// and `Interpreter.output(at:)`, a copy of its current contents.
public struct Tensor: Equatable, Sendable {
    public let name: String
    public let dataType: DataType
    public let shape: Shape
    /// Raw little-endian element bytes in row-major order.
    public let data: Data
    /// nil when the tensor is not quantized.
    public let quantizationParameters: QuantizationParameters?

    public init(
        name: String, dataType: DataType, shape: Shape, data: Data,
        quantizationParameters: QuantizationParameters? = nil
    ) {
        self.name = name
        self.dataType = dataType
        self.shape = shape
        self.data = data
        self.quantizationParameters = quantizationParameters
    }

    /// Element types; raw values equal schema/edgenet.fbs `DataType`.
    public enum DataType: Int, Equatable, Sendable, CaseIterable {
        case float32 = 0
        case int8 = 1
        case int32 = 2
        case uint8 = 3
        case int16 = 4
        case int64 = 5
        case bool = 6

        /// Bytes per element.
        public var size: Int { Int(enet_dtype_size(enet_dtype(rawValue: numericCast(rawValue)))) }
    }

    public struct Shape: Equatable, Hashable, Sendable, ExpressibleByArrayLiteral, CustomStringConvertible {
        /// -1 marks a dynamic dimension the interpreter has not resolved yet.
        public let dimensions: [Int]
        public var rank: Int { dimensions.count }
        /// Number of elements; 0 while any dimension is unresolved (-1).
        public var elementCount: Int {
            dimensions.contains { $0 < 0 } ? 0 : dimensions.reduce(1, *)
        }

        public init(_ dimensions: [Int]) { self.dimensions = dimensions }
        public init(_ dimensions: Int...) { self.dimensions = dimensions }
        public init(arrayLiteral dimensions: Int...) { self.dimensions = dimensions }
        public var description: String { "(" + dimensions.map(String.init).joined(separator: ", ") + ")" }
    }

    /// `real = scales[c] * (q - zeroPoints[c])`, `c` indexing `axis`; one entry
    /// per tensor, or one per channel along `axis`.
    public struct QuantizationParameters: Equatable, Sendable {
        public let scales: [Float]
        public let zeroPoints: [Int]
        public let axis: Int

        public init(scales: [Float], zeroPoints: [Int], axis: Int = 0) {
            self.scales = scales
            self.zeroPoints = zeroPoints
            self.axis = axis
        }

        /// The per-tensor scale (the first one for per-channel parameters).
        public var scale: Float { scales.first ?? 1 }
        public var zeroPoint: Int { zeroPoints.first ?? 0 }
    }
}

extension Tensor {
    /// Builds a Tensor from the C core's description plus a copy of its bytes.
    init(info: enet_tensor_info, data: Data) {
        name = info.name.map { String(cString: $0) } ?? ""
        // Unknown dtype values cannot happen for a verified model; map defensively.
        dataType = DataType(rawValue: Int(info.dtype.rawValue)) ?? .float32
        let rank = max(0, min(Int(info.ndim), Int(ENET_MAX_DIMS)))
        shape = withUnsafeBytes(of: info.shape) { raw in
            Shape(raw.bindMemory(to: Int64.self).prefix(rank).map { Int($0) })
        }
        if info.num_quant > 0, let scale = info.scale, let zeroPoint = info.zero_point {
            let count = Int(info.num_quant)
            quantizationParameters = QuantizationParameters(
                scales: Array(UnsafeBufferPointer(start: scale, count: count)),
                zeroPoints: UnsafeBufferPointer(start: zeroPoint, count: count).map { Int($0) },
                axis: Int(info.quant_axis))
        } else {
            quantizationParameters = nil
        }
        self.data = data
    }

    /// The data as Float values. Throws unless the tensor is float32.
    public func floats() throws(InterpreterError) -> [Float] {
        guard dataType == .float32 else {
            throw InterpreterError(.invalidArgument, "tensor '\(name)' is \(dataType), not float32")
        }
        return data.toArray(of: Float.self)
    }
}

extension Data {
    /// Wraps an array's bytes (native little-endian layout, as the core expects).
    public init<T>(copyingBufferOf array: [T]) {
        self = array.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    /// Reinterprets the bytes as an array of `T` (the byte count must be a multiple of its size).
    public func toArray<T>(of type: T.Type) -> [T] {
        let count = self.count / MemoryLayout<T>.stride
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            _ = self.copyBytes(to: buffer)
            initialized = count
        }
    }
}
