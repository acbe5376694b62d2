package org.edgenet.demo.logic;

import java.util.ArrayList;
import java.util.List;
import org.edgenet.Interpreter;
import org.edgenet.Tensor;

/**
 * The demo's whole recognition step, free of android.*: drawing pixels to model input
 * ({@link DigitPreprocessor}), one inference, top-k with labels and the measured latency.
 * Not thread-safe (it owns one Interpreter use); the caller closes the interpreter.
 */
public final class DigitClassifier {
  /** One labeled guess. */
  public static final class Guess {
    public final String label;
    public final int index;
    public final float score;

    Guess(String label, int index, float score) {
      this.label = label;
      this.index = index;
      this.score = score;
    }
  }

  /** The result of classifying one drawing. */
  public static final class Result {
    public final List<Guess> top;
    public final double latencyMs;

    Result(List<Guess> top, double latencyMs) {
      this.top = top;
      this.latencyMs = latencyMs;
    }
  }

  private final Interpreter interpreter;
  private final List<String> labels;
  private final float[] scores;

  public DigitClassifier(Interpreter interpreter, List<String> labels) {
    Tensor in = interpreter.getInputTensor(0);
    if (in.numElements() != DigitPreprocessor.SIZE * DigitPreprocessor.SIZE) {
      throw new IllegalArgumentException("not a digits model: input " + in);
    }
    this.interpreter = interpreter;
    this.labels = labels;
    this.scores = new float[interpreter.getOutputTensor(0).numElements()];
  }

  public Result classify(int[] argb, int width, int height, int k) {
    float[] input = DigitPreprocessor.toModelInput(argb, width, height);
    interpreter.run(input, scores);
    List<Guess> top = new ArrayList<>();
    for (TopK.Entry e : TopK.of(scores, k)) {
      top.add(new Guess(Labels.of(labels, e.index), e.index, e.score));
    }
    return new Result(top, interpreter.getLastNativeInferenceDurationNanoseconds() / 1e6);
  }
}
