import CEdgeNet

/// The error every failing EdgeNet call throws.
///
/// `code` says what kind of failure it was (it mirrors the C core's
/// `enet_status`), and `message` says what exactly went wrong — for errors
/// from the C core it is the core's own message (`enet_last_error()`).
public struct InterpreterError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Equatable, Sendable {
        /// A bad name, index, shape, data type or byte count from the caller.
        case invalidArgument
        /// The model file failed verification (corrupt, truncated, wrong identifier).
        case invalidModel
        /// An op, data type or format version this build cannot run.
        case unsupported
        case outOfMemory
        /// The model file could not be opened or read.
        case io
        /// A call in the wrong order, e.g. reading outputs before `invoke()`.
        case invalidState
        /// A status code this version of the Swift wrapper does not know.
        case unknown
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "EdgeNet \(code.rawValue): \(message)" }
}

extension InterpreterError.Code {
    init(_ status: enet_status) {
        switch status {
        case ENET_ERROR_INVALID_ARGUMENT: self = .invalidArgument
        case ENET_ERROR_INVALID_MODEL: self = .invalidModel
        case ENET_ERROR_UNSUPPORTED: self = .unsupported
        case ENET_ERROR_OUT_OF_MEMORY: self = .outOfMemory
        case ENET_ERROR_IO: self = .io
        case ENET_ERROR_INVALID_STATE: self = .invalidState
        default: self = .unknown
        }
    }
}

/// Throws an `InterpreterError` carrying the C core's message unless `status` is `ENET_OK`.
///
/// Call it right after the C call: the message is thread-local and is
/// replaced by the next failing call on the same thread.
func check(_ status: enet_status, _ what: @autoclosure () -> String) throws(InterpreterError) {
    guard status != ENET_OK else { return }
    let coreMessage = enet_last_error().map { String(cString: $0) } ?? ""
    let message = coreMessage.isEmpty ? "\(what()) failed" : coreMessage
    throw InterpreterError(InterpreterError.Code(status), message)
}

/// Converts a Swift `Int` to the C API's `int`, throwing instead of trapping
/// on values that do not fit (e.g. `Int.max` as a tensor index).
func cInt(_ value: Int, _ what: String) throws(InterpreterError) -> Int32 {
    guard let converted = Int32(exactly: value) else {
        throw InterpreterError(.invalidArgument, "\(what) \(value) is out of range")
    }
    return converted
}
