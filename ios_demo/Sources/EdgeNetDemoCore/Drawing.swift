/// What the user drew with a finger: strokes of points in canvas coordinates
/// (points, origin top-left). The SwiftUI canvas records it; `rasterize` turns
/// it into the RGBA bytes `DigitPreprocessor` reads, so the app and the tests
/// take the same path from finger to model input.
public struct Drawing: Equatable, Sendable {
    public struct Point: Equatable, Sendable {
        public var x: Double
        public var y: Double
        public init(x: Double, y: Double) {
            self.x = x
            self.y = y
        }
    }

    public var strokes: [[Point]]

    public init(strokes: [[Point]] = []) {
        self.strokes = strokes
    }

    public var isEmpty: Bool { strokes.allSatisfy(\.isEmpty) }

    /// Renders black round-capped strokes of `lineWidth` (in canvas points) onto
    /// a transparent `width` x `height` RGBA image, with anti-aliased edges.
    public func rasterize(width: Int, height: Int, lineWidth: Double) -> RGBAImage {
        var image = RGBAImage(width: width, height: height)
        let radius = lineWidth / 2
        for stroke in strokes {
            // A single tap is a dot: a zero-length segment.
            let segments = stroke.count == 1 ? [(stroke[0], stroke[0])] : Array(zip(stroke, stroke.dropFirst()))
            for (a, b) in segments {
                let minX = Int((min(a.x, b.x) - radius).rounded(.down))
                let maxX = Int((max(a.x, b.x) + radius).rounded(.up))
                let minY = Int((min(a.y, b.y) - radius).rounded(.down))
                let maxY = Int((max(a.y, b.y) + radius).rounded(.up))
                for y in max(minY, 0)...max(min(maxY, height - 1), 0) {
                    for x in max(minX, 0)...max(min(maxX, width - 1), 0) {
                        // Distance from the pixel center to the segment; a one-pixel
                        // ramp at the edge gives anti-aliasing.
                        let distance = Self.distance(from: Point(x: Double(x) + 0.5, y: Double(y) + 0.5), to: a, b)
                        let coverage = min(max(radius + 0.5 - distance, 0), 1)
                        image.paint(x: x, y: y, coverage: Float(coverage))
                    }
                }
            }
        }
        return image
    }

    private static func distance(from p: Point, to a: Point, _ b: Point) -> Double {
        let dx = b.x - a.x, dy = b.y - a.y
        let lengthSquared = dx * dx + dy * dy
        let t = lengthSquared == 0 ? 0 : min(max(((p.x - a.x) * dx + (p.y - a.y) * dy) / lengthSquared, 0), 1)
        let cx = a.x + t * dx - p.x, cy = a.y + t * dy - p.y
        return (cx * cx + cy * cy).squareRoot()
    }
}
