/// Turns a drawing's RGBA pixels into the digits model's input.
///
/// The model was trained on scikit-learn's 8x8 digits (examples/digits): each
/// is a 32x32 bitmap of a size-normalized, centered digit, summed over 4x4
/// blocks into 0...16, and the model sees that divided by 16, i.e. the ink
/// coverage of each cell in [0, 1]. To look like that data, a drawing is
///   1. cropped to the bounding box of its ink,
///   2. placed in a square box of the box's longer side, centered (so the
///      aspect ratio is kept and the longer side fills the grid),
///   3. averaged over an 8x8 grid of cells (ink coverage per cell), and
///   4. scaled so the darkest cell is 1 — a finger stroke is thinner than the
///      dataset's pen relative to the digit, and this makes the result
///      independent of the brush width.
public struct DigitPreprocessor: Sendable {
    /// Grid size of the model input (8 for the digits model).
    public let gridSize: Int
    /// Ink below this coverage does not count when finding the bounding box
    /// (ignores faint anti-aliasing specks).
    public let inkThreshold: Float

    public init(gridSize: Int = 8, inkThreshold: Float = 0.25) {
        self.gridSize = gridSize
        self.inkThreshold = inkThreshold
    }

    /// `gridSize * gridSize` values in [0, 1], row-major — the float32 data for
    /// the model's (1, 8, 8, 1) NHWC input. All zeros for an empty image.
    public func modelInput(from image: RGBAImage) -> [Float] {
        var cells = [Float](repeating: 0, count: gridSize * gridSize)
        guard let box = inkBoundingBox(of: image) else { return cells }

        // The square region (in pixels) that maps onto the grid.
        let side = Double(max(box.maxX - box.minX, box.maxY - box.minY) + 1)
        let originX = Double(box.minX + box.maxX + 1) / 2 - side / 2
        let originY = Double(box.minY + box.maxY + 1) / 2 - side / 2
        let cellSize = side / Double(gridSize)

        // Average the ink over each cell by sampling it on a fine sub-grid
        // (at least one sample per source pixel).
        let samples = max(4, Int(cellSize.rounded(.up)))
        for row in 0..<gridSize {
            for column in 0..<gridSize {
                var sum: Float = 0
                for sy in 0..<samples {
                    let y = originY + (Double(row) + (Double(sy) + 0.5) / Double(samples)) * cellSize
                    for sx in 0..<samples {
                        let x = originX + (Double(column) + (Double(sx) + 0.5) / Double(samples)) * cellSize
                        sum += image.ink(x: Int(x.rounded(.down)), y: Int(y.rounded(.down)))
                    }
                }
                cells[row * gridSize + column] = sum / Float(samples * samples)
            }
        }

        let darkest = cells.max() ?? 0
        return darkest > 0 ? cells.map { $0 / darkest } : cells
    }

    /// Inclusive pixel bounds of every pixel with ink >= `inkThreshold`, or nil if none.
    func inkBoundingBox(of image: RGBAImage) -> (minX: Int, minY: Int, maxX: Int, maxY: Int)? {
        var minX = Int.max, minY = Int.max, maxX = -1, maxY = -1
        for y in 0..<image.height {
            for x in 0..<image.width where image.ink(x: x, y: y) >= inkThreshold {
                minX = min(minX, x)
                maxX = max(maxX, x)
                minY = min(minY, y)
                maxY = max(maxY, y)
            }
        }
        return maxX >= 0 ? (minX, minY, maxX, maxY) : nil
    }
}
