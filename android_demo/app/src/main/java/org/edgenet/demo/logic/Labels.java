package org.edgenet.demo.logic;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Class labels: one per line (a labels.txt asset, or the model's "labels" metadata). Blank lines
 * are skipped, surrounding whitespace trimmed. Missing labels fall back to the class index.
 */
public final class Labels {
  private Labels() {}

  public static List<String> parse(String text) {
    List<String> labels = new ArrayList<>();
    if (text == null) {
      return labels;
    }
    for (String line : text.split("\r?\n|\r")) {
      String label = line.trim();
      if (!label.isEmpty()) {
        labels.add(label);
      }
    }
    return labels;
  }

  public static List<String> load(InputStream in) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    byte[] chunk = new byte[4096];
    for (int n; (n = in.read(chunk)) > 0; ) {
      bytes.write(chunk, 0, n);
    }
    return parse(new String(bytes.toByteArray(), StandardCharsets.UTF_8));
  }

  /** The labels in the model's metadata, or "0".."count-1" when it has none. */
  public static List<String> fromMetadataOrIndices(String metadata, int count) {
    List<String> labels = parse(metadata);
    if (labels.isEmpty()) {
      for (int i = 0; i < count; i++) {
        labels.add(Integer.toString(i));
      }
    }
    return labels;
  }

  /** The label of class {@code index}, or "#index" when the list is too short. */
  public static String of(List<String> labels, int index) {
    return index >= 0 && index < labels.size() ? labels.get(index) : "#" + index;
  }
}
