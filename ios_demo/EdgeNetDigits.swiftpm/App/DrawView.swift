import EdgeNet
import EdgeNetDemoCore
import SwiftUI

/// Canvas geometry shared by the view (drawing on screen) and the model
/// (rasterizing for the classifier), so both see the same strokes.
enum CanvasStyle {
    /// Canvas side in points; strokes are rasterized at this size.
    static let side: Double = 280
    static let lineWidth: Double = 22
}

/// Keeps the drawing and runs the classifier. The pipeline itself
/// (rasterize -> preprocess -> model -> top-3) lives in EdgeNetDemoCore and is
/// tested on Linux; this class only connects it to the UI.
@MainActor
final class DrawViewModel: ObservableObject {
    @Published private(set) var drawing = Drawing()
    @Published private(set) var result: DigitClassifier.Result?
    @Published private(set) var errorMessage: String?

    private let classifier: DigitClassifier?

    init() {
        do {
            guard let url = Bundle.main.url(forResource: "digits", withExtension: "enet") else {
                throw InterpreterError(.io, "digits.enet is missing from the app bundle")
            }
            classifier = try DigitClassifier(model: Model(path: url.path))
        } catch {
            classifier = nil
            errorMessage = "\(error)"
        }
    }

    func add(point: CGPoint, startsStroke: Bool) {
        let point = Drawing.Point(x: point.x, y: point.y)
        if startsStroke || drawing.strokes.isEmpty {
            drawing.strokes.append([point])
        } else {
            drawing.strokes[drawing.strokes.count - 1].append(point)
        }
    }

    /// Called when a stroke ends: classify the whole drawing.
    func classify() {
        guard let classifier, !drawing.isEmpty else { return }
        let side = Int(CanvasStyle.side)
        let image = drawing.rasterize(width: side, height: side, lineWidth: CanvasStyle.lineWidth)
        do {
            result = try classifier.classify(image)
            errorMessage = nil
        } catch {
            errorMessage = "\(error)"
        }
    }

    func clear() {
        drawing = Drawing()
        result = nil
    }
}

struct DrawView: View {
    @StateObject private var model = DrawViewModel()
    @State private var isDrawingStroke = false

    var body: some View {
        VStack(spacing: 20) {
            Text("Draw a digit").font(.title2.bold())
            canvas
            Button("Clear", role: .destructive) { model.clear() }
                .buttonStyle(.bordered)
            results
            Spacer()
        }
        .padding()
    }

    private var canvas: some View {
        Canvas { context, _ in
            for stroke in model.drawing.strokes {
                var path = Path()
                path.addLines(stroke.map { CGPoint(x: $0.x, y: $0.y) })
                if stroke.count == 1, let dot = stroke.first {
                    let r = CanvasStyle.lineWidth / 2
                    path = Path(ellipseIn: CGRect(x: dot.x - r, y: dot.y - r, width: 2 * r, height: 2 * r))
                    context.fill(path, with: .color(.black))
                } else {
                    context.stroke(
                        path, with: .color(.black),
                        style: StrokeStyle(lineWidth: CanvasStyle.lineWidth, lineCap: .round, lineJoin: .round))
                }
            }
        }
        .frame(width: CanvasStyle.side, height: CanvasStyle.side)
        .background(Color.white)
        .overlay(RoundedRectangle(cornerRadius: 8).stroke(Color.gray))
        .clipped()
        .gesture(
            DragGesture(minimumDistance: 0)
                .onChanged { value in
                    model.add(point: value.location, startsStroke: !isDrawingStroke)
                    isDrawingStroke = true
                }
                .onEnded { _ in
                    isDrawingStroke = false
                    model.classify()
                }
        )
    }

    @ViewBuilder private var results: some View {
        if let error = model.errorMessage {
            Text(error).foregroundStyle(.red)
        } else if let result = model.result {
            VStack(alignment: .leading, spacing: 8) {
                ForEach(result.top, id: \.index) { prediction in
                    HStack {
                        Text(prediction.label).font(.title.monospacedDigit()).frame(width: 40)
                        ProgressView(value: Double(prediction.score))
                        Text(String(format: "%.1f%%", 100 * prediction.score)).monospacedDigit()
                    }
                }
                Text(String(format: "latency %.3f ms", result.latency.milliseconds))
                    .font(.footnote).foregroundStyle(.secondary)
            }
            .frame(maxWidth: 320)
        } else {
            Text("The top-3 digits appear here.").foregroundStyle(.secondary)
        }
    }
}
