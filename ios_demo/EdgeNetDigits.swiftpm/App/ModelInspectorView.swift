import EdgeNet
import EdgeNetDemoCore
import SwiftUI
import UniformTypeIdentifiers

/// Opens any .enet file from the document picker and shows its inputs,
/// outputs, arena size and a benchmark (median/min invoke latency).
struct ModelInspectorView: View {
    @State private var isPicking = false
    @State private var fileName: String?
    @State private var info: ModelInfo?
    @State private var timing: BenchmarkResult?
    @State private var errorMessage: String?

    /// .enet files; any data file when the system does not know the extension.
    private static let enetType = UTType(filenameExtension: "enet") ?? .data

    var body: some View {
        NavigationStack {
            List {
                if let errorMessage {
                    Section("Error") { Text(errorMessage).foregroundStyle(.red) }
                }
                if let info {
                    Section("Inputs") { ForEach(info.inputs) { Text($0.summary).font(.callout.monospaced()) } }
                    Section("Outputs") { ForEach(info.outputs) { Text($0.summary).font(.callout.monospaced()) } }
                    Section("Memory") { Text("activation arena: \(info.arenaBytes) bytes") }
                }
                if let timing {
                    Section("Benchmark (\(timing.runs) runs, 1 thread)") {
                        Text(String(format: "median %.3f ms", timing.median.milliseconds))
                        Text(String(format: "min %.3f ms", timing.minimum.milliseconds))
                    }
                }
                if info == nil && errorMessage == nil {
                    Text("Open an .enet model to see its inputs, outputs and speed.")
                        .foregroundStyle(.secondary)
                }
            }
            .navigationTitle(fileName ?? "Model")
            .toolbar {
                Button("Open…") { isPicking = true }
            }
            .fileImporter(isPresented: $isPicking, allowedContentTypes: [Self.enetType, .data]) { result in
                switch result {
                case .success(let url): load(url)
                case .failure(let error): errorMessage = error.localizedDescription
                }
            }
        }
    }

    private func load(_ url: URL) {
        info = nil
        timing = nil
        errorMessage = nil
        fileName = url.lastPathComponent
        // Files from the picker live outside the sandbox until we ask for access.
        let hasAccess = url.startAccessingSecurityScopedResource()
        defer { if hasAccess { url.stopAccessingSecurityScopedResource() } }
        do {
            let data = try Data(contentsOf: url)
            let interpreter = try Interpreter(modelData: data, options: .init(threadCount: 1))
            info = try ModelInfo(interpreter: interpreter)
            timing = try benchmark(interpreter, runs: 50)
        } catch {
            errorMessage = "\(error)"
        }
    }
}
