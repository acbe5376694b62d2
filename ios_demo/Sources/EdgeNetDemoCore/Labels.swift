import Foundation

/// Class labels for a model's output.
public enum Labels {
    /// Metadata key under which the converter stores labels (one per line or comma-separated).
    public static let metadataKey = "labels"

    /// Parses labels written one per line, or comma-separated on a single line;
    /// surrounding whitespace and blank entries are dropped.
    public static func parse(_ text: String) -> [String] {
        let separator: Character = text.contains("\n") ? "\n" : ","
        return text.split(separator: separator)
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
    }

    /// "0" ... "9": the digits model's classes, used when a model carries no labels.
    public static let digits: [String] = (0...9).map(String.init)
}
