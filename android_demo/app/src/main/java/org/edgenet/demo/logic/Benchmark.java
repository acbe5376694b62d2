package org.edgenet.demo.logic;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.edgenet.Interpreter;
import org.edgenet.Tensor;

/** Times repeated inferences of any model on zero-filled inputs. */
public final class Benchmark {
  /** Latency statistics in milliseconds. */
  public static final class Result {
    public final int runs;
    public final double medianMs;
    public final double minMs;
    public final double meanMs;

    Result(int runs, double medianMs, double minMs, double meanMs) {
      this.runs = runs;
      this.medianMs = medianMs;
      this.minMs = minMs;
      this.meanMs = meanMs;
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT, "%d runs: median %.3f ms, min %.3f ms, mean %.3f ms", runs, medianMs, minMs,
          meanMs);
    }
  }

  private Benchmark() {}

  /**
   * Runs {@code warmup} untimed and {@code runs} timed inferences. Dynamic dimensions (-1) are set
   * to 1 first.
   */
  public static Result run(Interpreter interpreter, int warmup, int runs) {
    if (runs <= 0 || warmup < 0) {
      throw new IllegalArgumentException("need runs > 0 and warmup >= 0");
    }
    Object[] inputs = new Object[interpreter.getInputCount()];
    for (int i = 0; i < inputs.length; i++) {
      int[] shape = interpreter.getInputTensor(i).shape();
      boolean dynamic = false;
      for (int d = 0; d < shape.length; d++) {
        if (shape[d] < 0) {
          shape[d] = 1;
          dynamic = true;
        }
      }
      if (dynamic) {
        interpreter.resizeInput(i, shape);
      }
      Tensor t = interpreter.getInputTensor(i);
      inputs[i] = ByteBuffer.allocateDirect((int) t.numBytes()).order(ByteOrder.nativeOrder());
    }
    Map<Integer, Object> outputs = new HashMap<>(); // outputs are computed, not copied out
    long[] nanos = new long[runs];
    for (int r = -warmup; r < runs; r++) {
      interpreter.runForMultipleInputsOutputs(inputs, outputs);
      if (r >= 0) {
        nanos[r] = interpreter.getLastNativeInferenceDurationNanoseconds();
      }
    }
    return summarize(nanos);
  }

  /** Median (mean of the middle two for an even count), min and mean of the timings. */
  public static Result summarize(long[] nanos) {
    if (nanos.length == 0) {
      throw new IllegalArgumentException("no timings");
    }
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    double sum = 0;
    for (long v : sorted) {
      sum += v;
    }
    return new Result(n, median / 1e6, sorted[0] / 1e6, sum / n / 1e6);
  }
}
