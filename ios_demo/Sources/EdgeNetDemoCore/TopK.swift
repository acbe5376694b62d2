import Foundation

/// One class and its score, as shown in the demo's top-3 list.
public struct Prediction: Equatable, Sendable {
    public let index: Int
    public let label: String
    public let score: Float

    public init(index: Int, label: String, score: Float) {
        self.index = index
        self.label = label
        self.score = score
    }
}

/// The `k` highest scores, best first; equal scores keep the lower index first.
/// Labels come from `labels` (index as text where a label is missing).
public func topK(_ scores: [Float], k: Int, labels: [String] = []) -> [Prediction] {
    let ranked = scores.indices.sorted { a, b in
        scores[a] != scores[b] ? scores[a] > scores[b] : a < b
    }
    return ranked.prefix(max(k, 0)).map { index in
        Prediction(index: index, label: index < labels.count ? labels[index] : String(index), score: scores[index])
    }
}

/// Converts logits to probabilities (numerically stable softmax), for models
/// whose last op is not already a softmax.
public func softmax(_ logits: [Float]) -> [Float] {
    guard let largest = logits.max() else { return [] }
    let exps = logits.map { expf($0 - largest) }
    let total = exps.reduce(0, +)
    return exps.map { $0 / total }
}
