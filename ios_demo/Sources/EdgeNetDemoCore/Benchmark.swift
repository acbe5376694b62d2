import EdgeNet
import Foundation

/// Latency of repeated `invoke()` calls, as the model screen shows it.
public struct BenchmarkResult: Equatable, Sendable {
    public let runs: Int
    public let median: Duration
    public let minimum: Duration

    public init(runs: Int, median: Duration, minimum: Duration) {
        self.runs = runs
        self.median = median
        self.minimum = minimum
    }

    /// Median and minimum run time of `durations` (nil when empty).
    public init?(durations: [Duration]) {
        guard !durations.isEmpty else { return nil }
        let sorted = durations.sorted()
        let middle = sorted.count / 2
        median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        minimum = sorted[0]
        runs = sorted.count
    }
}

extension Duration {
    /// Milliseconds as a Double, for display ("0.42 ms").
    public var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1e3 + Double(attoseconds) / 1e15
    }
}

/// Fills every input with zeros (any valid input works for timing), runs
/// `warmup` untimed invokes and then `runs` timed ones.
public func benchmark(_ interpreter: Interpreter, runs: Int = 50, warmup: Int = 3) throws(InterpreterError)
    -> BenchmarkResult
{
    guard runs > 0 else { throw InterpreterError(.invalidArgument, "benchmark needs at least one run, got \(runs)") }
    for index in 0..<interpreter.inputTensorCount {
        let input = try interpreter.input(at: index)
        try interpreter.copy(Data(count: input.data.count), toInputAt: index)
    }
    for _ in 0..<warmup { try interpreter.invoke() }
    let clock = ContinuousClock()
    var durations: [Duration] = []
    durations.reserveCapacity(runs)
    for _ in 0..<runs {
        let start = clock.now
        try interpreter.invoke()
        durations.append(clock.now - start)
    }
    return BenchmarkResult(durations: durations)!
}
