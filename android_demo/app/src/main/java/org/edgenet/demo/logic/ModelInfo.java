package org.edgenet.demo.logic;

import java.util.Locale;
import org.edgenet.Interpreter;
import org.edgenet.Tensor;

/** A readable summary of a model's inputs and outputs, for the model-info screen. */
public final class ModelInfo {
  private ModelInfo() {}

  /**
   * Lines like "image: FLOAT32 [1, 8, 8, 1]" under "Inputs"/"Outputs", then the arena size and
   * (when fileBytes >= 0) the file size.
   */
  public static String describe(Interpreter interpreter, long fileBytes) {
    StringBuilder sb = new StringBuilder();
    sb.append("Inputs\n");
    for (int i = 0; i < interpreter.getInputCount(); i++) {
      sb.append("  ").append(interpreter.getInputTensor(i)).append('\n');
    }
    sb.append("Outputs\n");
    for (int i = 0; i < interpreter.getOutputCount(); i++) {
      sb.append("  ").append(interpreter.getOutputTensor(i)).append('\n');
    }
    sb.append("Activation arena: ").append(formatBytes(interpreter.getArenaSizeBytes())).append('\n');
    if (fileBytes >= 0) {
      sb.append("File size: ").append(formatBytes(fileBytes)).append('\n');
    }
    return sb.toString();
  }

  /** "512 B", "1.5 KiB", "2.0 MiB". */
  public static String formatBytes(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    if (bytes < 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
  }

  /** Short form of a tensor for one-line displays. */
  public static String brief(Tensor t) {
    return t.name() + " " + t.dataType() + " " + java.util.Arrays.toString(t.shape());
  }
}
