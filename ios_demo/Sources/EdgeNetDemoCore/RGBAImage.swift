/// Raw 8-bit RGBA pixels, row-major, top row first — the layout a
/// `CGContext` with `premultipliedLast` or a `UIImage`'s bitmap gives, and what
/// `DigitPreprocessor` reads.
public struct RGBAImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// Bytes per row; at least `4 * width` (rows may be padded).
    public let bytesPerRow: Int
    /// True when color channels are premultiplied by alpha (CoreGraphics'
    /// `premultipliedLast`), false for straight alpha.
    public let isPremultiplied: Bool
    public var pixels: [UInt8]

    /// Wraps existing pixel bytes; returns nil if `pixels` is too short for the size.
    public init?(width: Int, height: Int, bytesPerRow: Int? = nil, isPremultiplied: Bool = true, pixels: [UInt8]) {
        let rowBytes = bytesPerRow ?? 4 * width
        guard width > 0, height > 0, rowBytes >= 4 * width, pixels.count >= rowBytes * height else {
            return nil
        }
        self.width = width
        self.height = height
        self.bytesPerRow = rowBytes
        self.isPremultiplied = isPremultiplied
        self.pixels = pixels
    }

    /// A fully transparent image (an empty canvas).
    public init(width: Int, height: Int) {
        precondition(width > 0 && height > 0, "image size must be positive")
        self.width = width
        self.height = height
        self.bytesPerRow = 4 * width
        self.isPremultiplied = true
        self.pixels = [UInt8](repeating: 0, count: 4 * width * height)
    }

    /// How much ink covers pixel (x, y), in [0, 1]: dark, opaque pixels are ink;
    /// light or transparent ones are background. Outside the image: 0.
    public func ink(x: Int, y: Int) -> Float {
        guard x >= 0, y >= 0, x < width, y < height else { return 0 }
        let i = y * bytesPerRow + 4 * x
        let alpha = Float(pixels[i + 3]) / 255
        guard alpha > 0 else { return 0 }
        let unmultiply: Float = isPremultiplied ? 1 / alpha : 1
        let luminance = (0.299 * Float(pixels[i]) + 0.587 * Float(pixels[i + 1]) + 0.114 * Float(pixels[i + 2]))
            / 255 * unmultiply
        return alpha * (1 - min(luminance, 1))
    }

    /// Paints pixel (x, y) with black ink of the given coverage (keeps the darker value).
    mutating func paint(x: Int, y: Int, coverage: Float) {
        guard x >= 0, y >= 0, x < width, y < height, coverage > 0 else { return }
        let i = y * bytesPerRow + 4 * x
        let alpha = UInt8((min(coverage, 1) * 255).rounded())
        if alpha > pixels[i + 3] {
            // Premultiplied black: color channels stay 0, alpha carries the coverage.
            pixels[i] = 0
            pixels[i + 1] = 0
            pixels[i + 2] = 0
            pixels[i + 3] = alpha
        }
    }
}
