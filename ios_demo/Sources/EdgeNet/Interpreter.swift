import CEdgeNet
import Foundation

/// Runs a model: holds the activation arena and the current input/output
/// contents.
///
/// An interpreter is *not* thread-safe (it is deliberately not `Sendable`):
/// use one per thread or task, all sharing one `Model`.
///
///     let interpreter = try Interpreter(modelPath: path)
///     try interpreter.copy(Data(copyingBufferOf: pixels), toInputAt: 0)
///     try interpreter.invoke()
///     let probs = try interpreter.output(at: 0).floats()
public final class Interpreter {
    public struct Options: Equatable, Sendable {
        /// Threads to run ops on; nil lets the core pick (one per core).
        public var threadCount: Int?

        public init(threadCount: Int? = nil) {
            self.threadCount = threadCount
        }
    }

    /// The shared, immutable model this interpreter runs.
    public let model: Model
    public let options: Options
    private let pointer: OpaquePointer

    /// Creates an interpreter for an already-loaded (possibly shared) model.
    public init(model: Model, options: Options = Options()) throws(InterpreterError) {
        self.model = model
        self.options = options
        // Zero-initialized, then set: enet_options grows (custom_ops, C only), so no memberwise init.
        var cOptions = enet_options()
        cOptions.num_threads = try cInt(options.threadCount ?? 0, "thread count")
        var interpreter: OpaquePointer?
        try check(enet_interpreter_create(model.pointer, &cOptions, &interpreter), "creating interpreter")
        guard let interpreter else {
            throw InterpreterError(.unknown, "the C core reported success but returned no interpreter")
        }
        pointer = interpreter
    }

    /// Loads (memory-maps) the `.enet` file at `modelPath` and prepares it to run.
    public convenience init(modelPath: String, options: Options = Options()) throws(InterpreterError) {
        try self.init(model: Model(path: modelPath), options: options)
    }

    /// Loads a model held in memory (the model keeps its own copy).
    public convenience init(modelData: Data, options: Options = Options()) throws(InterpreterError) {
        try self.init(model: Model(data: modelData), options: options)
    }

    deinit {
        enet_interpreter_free(pointer)
    }

    public var inputTensorCount: Int { Int(enet_interpreter_num_inputs(pointer)) }
    public var outputTensorCount: Int { Int(enet_interpreter_num_outputs(pointer)) }

    /// Bytes of the planned activation arena (all intermediate tensors).
    public var arenaSize: Int { enet_interpreter_arena_size(pointer) }

    /// The input at `index` with a copy of its current contents. (After
    /// `invoke()` the core may have reused input memory for intermediate
    /// tensors; copy inputs again before each invoke.)
    public func input(at index: Int) throws(InterpreterError) -> Tensor {
        let info = try inputInfo(at: index)
        let bytes = enet_interpreter_input_data(pointer, Int32(index))
        return Tensor(info: info, data: Self.copy(bytes, count: info.bytes))
    }

    /// The output at `index`. Throws `.invalidState` until `invoke()` succeeded.
    public func output(at index: Int) throws(InterpreterError) -> Tensor {
        let info = try outputInfo(at: index)
        var data = Data(count: info.bytes)
        let status = data.withUnsafeMutableBytes { buffer in
            enet_interpreter_get_output(pointer, Int32(index), buffer.baseAddress, buffer.count)
        }
        try check(status, "reading output \(index)")
        return Tensor(info: info, data: data)
    }

    /// The output's name, shape, type and quantization without its contents
    /// (`data` is empty), available before `invoke()` — e.g. to show model info.
    public func outputDescription(at index: Int) throws(InterpreterError) -> Tensor {
        Tensor(info: try outputInfo(at: index), data: Data())
    }

    /// Index of the input named `name`, or nil.
    public func inputIndex(named name: String) -> Int? {
        let index = Int(enet_interpreter_input_index(pointer, name))
        return index >= 0 ? index : nil
    }

    /// Index of the output named `name`, or nil.
    public func outputIndex(named name: String) -> Int? {
        let index = Int(enet_interpreter_output_index(pointer, name))
        return index >= 0 ? index : nil
    }

    /// Copies `data` into the input at `index`; its byte count must equal the input's size.
    @discardableResult
    public func copy(_ data: Data, toInputAt index: Int) throws(InterpreterError) -> Tensor {
        let cIndex = try cInt(index, "input index")
        let status = data.withUnsafeBytes { buffer in
            enet_interpreter_set_input(pointer, cIndex, buffer.baseAddress, buffer.count)
        }
        try check(status, "copying \(data.count) bytes to input \(index)")
        return try input(at: index)
    }

    /// Runs the model on the current inputs.
    public func invoke() throws(InterpreterError) {
        try check(enet_interpreter_invoke(pointer), "invoke")
    }

    /// Changes the shape of the input at `index` (only dimensions the model
    /// marks dynamic may change); memory is re-planned and output shapes follow.
    public func resizeInput(at index: Int, to shape: Tensor.Shape) throws(InterpreterError) {
        let cIndex = try cInt(index, "input index")
        let dimensions = shape.dimensions.map { Int64($0) }
        let status = dimensions.withUnsafeBufferPointer { dims in
            enet_interpreter_resize_input(pointer, cIndex, Int32(clamping: dims.count), dims.baseAddress)
        }
        try check(status, "resizing input \(index) to \(shape)")
    }

    /// Resizes the input called `name` (see `resizeInput(at:to:)`); `.invalidArgument`
    /// for an unknown name.
    public func resizeInput(named name: String, to shape: Tensor.Shape) throws(InterpreterError) {
        guard let index = inputIndex(named: name) else {
            throw InterpreterError(.invalidArgument, "unknown input '\(name)'")
        }
        try resizeInput(at: index, to: shape)
    }

    /// Sets every state variable of a streaming model back to its initial value,
    /// so the next invoke starts a new stream. Each invoke starts from the states
    /// the previous successful invoke left; two interpreters keep separate states.
    /// A model without states: nothing to do.
    public func resetState() throws(InterpreterError) {
        try check(enet_interpreter_reset_state(pointer), "resetting the state")
    }

    /// Convenience: feeds float32 inputs by name, invokes, and returns every
    /// output by name — the Swift twin of Python's `Interpreter.run(feeds)`.
    ///
    /// Every input must be given, as exactly as many values as its current
    /// shape holds (call `resizeInput(at:to:)` first for a new batch size).
    /// Throws `.invalidArgument` for an unknown or missing name, a wrong value
    /// count, or a tensor that is not float32 (use `copy(_:toInputAt:)` and
    /// `output(at:)` for integer tensors).
    public func run(_ inputs: [String: [Float]]) throws(InterpreterError) -> [String: [Float]] {
        for name in inputs.keys.sorted() where inputIndex(named: name) == nil {
            let known = try (0..<inputTensorCount).map { (i) throws(InterpreterError) in try inputInfo(at: i).name }
            throw InterpreterError(
                .invalidArgument, "unknown input '\(name)'; the model's inputs are \(known)")
        }
        for index in 0..<inputTensorCount {
            let info = try input(at: index)
            guard let values = inputs[info.name] else {
                throw InterpreterError(.invalidArgument, "missing input '\(info.name)' of shape \(info.shape)")
            }
            guard info.dataType == .float32 else {
                throw InterpreterError(
                    .invalidArgument, "input '\(info.name)' is \(info.dataType), run() feeds float32 only")
            }
            guard values.count == info.shape.elementCount else {
                throw InterpreterError(
                    .invalidArgument,
                    "input '\(info.name)' expects \(info.shape.elementCount) values for shape \(info.shape), got \(values.count)")
            }
            try copy(Data(copyingBufferOf: values), toInputAt: index)
        }
        try invoke()
        var outputs: [String: [Float]] = [:]
        for index in 0..<outputTensorCount {
            let tensor = try output(at: index)
            outputs[tensor.name] = try tensor.floats()
        }
        return outputs
    }

    // MARK: - Helpers

    private func inputInfo(at index: Int) throws(InterpreterError) -> enet_tensor_info {
        var info = enet_tensor_info()
        try check(enet_interpreter_input_info(pointer, try cInt(index, "input index"), &info), "input \(index)")
        return info
    }

    private func outputInfo(at index: Int) throws(InterpreterError) -> enet_tensor_info {
        var info = enet_tensor_info()
        try check(enet_interpreter_output_info(pointer, try cInt(index, "output index"), &info), "output \(index)")
        return info
    }

    private static func copy(_ bytes: UnsafeRawPointer?, count: Int) -> Data {
        guard let bytes, count > 0 else { return Data() }
        return Data(bytes: bytes, count: count)
    }
}
