import CEdgeNet
import Foundation

/// A loaded, verified `.enet` model.
///
/// A model is immutable once loaded, so one `Model` can be shared by any number
/// of `Interpreter`s on any threads or tasks — load it once and create an
/// interpreter per task.
public final class Model: @unchecked Sendable {
    // @unchecked: `enet_model` is immutable after loading and documented as
    // thread-safe in edgenet.h; this class never mutates it and frees it only
    // in deinit, when no interpreter can still reference it (each interpreter
    // holds a strong reference to its model).
    let pointer: OpaquePointer

    /// Memory-maps and verifies the model file at `path`. `verifyChecksum: false`
    /// skips the file's CRC32C (format v2) — only for apps that check the bytes
    /// themselves, e.g. with a signature; the structural checks still run.
    public init(path: String, verifyChecksum: Bool = true) throws(InterpreterError) {
        var model: OpaquePointer?
        try check(enet_model_load_file_ex(path, Model.loadFlags(verifyChecksum), &model), "loading model file \(path)")
        pointer = try Model.unwrap(model)
    }

    /// Verifies a model held in memory. The model keeps its own copy of the bytes.
    /// `verifyChecksum`: as in `init(path:verifyChecksum:)`.
    public init(data: Data, verifyChecksum: Bool = true) throws(InterpreterError) {
        let flags = Model.loadFlags(verifyChecksum)
        var model: OpaquePointer?
        let status = data.withUnsafeBytes { bytes in
            // copy=1: `Data` does not promise a stable address after this closure.
            enet_model_load_buffer_ex(bytes.baseAddress, bytes.count, 1, flags, &model)
        }
        try check(status, "loading model from \(data.count) bytes")
        pointer = try Model.unwrap(model)
    }

    private static func loadFlags(_ verifyChecksum: Bool) -> UInt32 {
        verifyChecksum ? ENET_LOAD_DEFAULT : ENET_LOAD_SKIP_CHECKSUM
    }

    private static func unwrap(_ model: OpaquePointer?) throws(InterpreterError) -> OpaquePointer {
        guard let model else {
            throw InterpreterError(.unknown, "the C core reported success but returned no model")
        }
        return model
    }

    deinit {
        enet_model_free(pointer)
    }

    public var inputCount: Int { Int(enet_model_num_inputs(pointer)) }
    public var outputCount: Int { Int(enet_model_num_outputs(pointer)) }

    /// The metadata value stored under `key` (e.g. "labels"), or nil.
    public func metadata(forKey key: String) -> String? {
        enet_model_metadata(pointer, key).map { String(cString: $0) }
    }
}

/// The version string of the compiled C core.
public let edgeNetVersion: String = String(cString: enet_version())
