package org.edgenet.demo.logic;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The k highest scores of a model output, best first (ties: lower index first; NaN last). */
public final class TopK {
  /** One ranked class. */
  public static final class Entry {
    public final int index;
    public final float score;

    public Entry(int index, float score) {
      this.index = index;
      this.score = score;
    }

    @Override
    public String toString() {
      return index + ":" + score;
    }
  }

  private TopK() {}

  public static List<Entry> of(float[] scores, int k) {
    if (scores == null || k < 0) {
      throw new IllegalArgumentException("need scores and k >= 0");
    }
    List<Entry> all = new ArrayList<>(scores.length);
    for (int i = 0; i < scores.length; i++) {
      all.add(new Entry(i, scores[i]));
    }
    Collections.sort(all, (a, b) -> {
      boolean aNan = Float.isNaN(a.score);
      boolean bNan = Float.isNaN(b.score);
      if (aNan != bNan) {
        return aNan ? 1 : -1;
      }
      int byScore = aNan ? 0 : Float.compare(b.score, a.score);
      return byScore != 0 ? byScore : Integer.compare(a.index, b.index);
    });
    return new ArrayList<>(all.subList(0, Math.min(k, all.size())));
  }
}
