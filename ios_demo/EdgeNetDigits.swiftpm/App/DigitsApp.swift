import SwiftUI

/// Two screens: draw a digit (the bundled digits model classifies it on every
/// stroke) and open any .enet file to see its inputs/outputs and a benchmark.
@main
struct DigitsApp: App {
    var body: some Scene {
        WindowGroup {
            TabView {
                DrawView()
                    .tabItem { Label("Draw", systemImage: "pencil.tip") }
                ModelInspectorView()
                    .tabItem { Label("Model", systemImage: "doc.text.magnifyingglass") }
            }
        }
    }
}
