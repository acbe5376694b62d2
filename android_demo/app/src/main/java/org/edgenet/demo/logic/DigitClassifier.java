package org.edgenet.demo.logic;

import java.util.ArrayList;
import java.util.List;
import org.edgenet.DataType;
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
  private final Tensor input;
  private final Tensor output;

  public DigitClassifier(Interpreter interpreter, List<String> labels) {
    Tensor in = interpreter.getInputTensor(0);
    if (in.numElements() != DigitPreprocessor.SIZE * DigitPreprocessor.SIZE) {
      throw new IllegalArgumentException("not a digits model: input " + in);
    }
    this.interpreter = interpreter;
    this.labels = labels;
    this.input = in;
    this.output = interpreter.getOutputTensor(0);
  }

  public Result classify(int[] argb, int width, int height, int k) {
    float[] pixels = DigitPreprocessor.toModelInput(argb, width, height);
    float[] scores;
    if (output.dataType() == DataType.INT8) {
      byte[] q = new byte[output.numElements()];
      interpreter.run(toModelDtype(pixels), q);
      scores = new float[q.length];
      for (int i = 0; i < q.length; i++) { // real = scale * (q - zero_point)
        scores[i] = output.scales()[0] * (q[i] - output.zeroPoints()[0]);
      }
    } else {
      scores = new float[output.numElements()];
      interpreter.run(toModelDtype(pixels), scores);
    }
    List<Guess> top = new ArrayList<>();
    for (TopK.Entry e : TopK.of(scores, k)) {
      top.add(new Guess(Labels.of(labels, e.index), e.index, e.score));
    }
    return new Result(top, interpreter.getLastNativeInferenceDurationNanoseconds() / 1e6);
  }

  /** float pixels as the model's input dtype: as-is, or int8-quantized with its scale/zero point. */
  private Object toModelDtype(float[] pixels) {
    if (input.dataType() != DataType.INT8) {
      return pixels;
    }
    float scale = input.scales()[0];
    long zero = input.zeroPoints()[0];
    byte[] q = new byte[pixels.length];
    for (int i = 0; i < q.length; i++) {
      q[i] = (byte) Math.max(-128, Math.min(127, Math.round(pixels[i] / scale) + zero));
    }
    return q;
  }
}
