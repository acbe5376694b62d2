package org.edgenet.demo.logic;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.edgenet.Interpreter;
import org.edgenet.testing.TestData;
import org.junit.Test;

public class DigitPreprocessorTest {

  @Test
  public void aDigitFillingTheBoxComesBackUnchanged() {
    // An image whose ink touches all four borders maps cell-for-cell; values scale by 1/max.
    byte[] img = new byte[64];
    int max = 0;
    for (int i = 0; i < 64; i++) {
      img[i] = (byte) ((i * 7) % 17);
      max = Math.max(max, img[i]);
    }
    float[] got = DigitPreprocessor.toModelInput(Drawing.fromDigit(img, 0, 12).argb, 96, 96);
    for (int i = 0; i < 64; i++) {
      assertEquals("cell " + i, img[i] / (float) max, got[i], 0.01f);
    }
  }

  @Test
  public void emptyCanvasGivesZerosAndBadSizesAreRejected() {
    assertArrayEquals(new float[64], DigitPreprocessor.toModelInput(new Drawing(50, 40).argb, 50, 40), 0f);
    assertThrows(IllegalArgumentException.class, () -> DigitPreprocessor.toModelInput(new int[10], 3, 3));
    assertThrows(IllegalArgumentException.class, () -> DigitPreprocessor.toModelInput(null, 3, 3));
  }

  @Test
  public void inkPositionAndScaleDoNotMatter() {
    // The same "1" drawn small in a corner and large in the middle gives the same input.
    float[] small = DigitPreprocessor.toModelInput(
        new Drawing(200, 200).stroke(0.02, 0.1, 0.1, 0.1, 0.4).argb, 200, 200);
    float[] large = DigitPreprocessor.toModelInput(
        new Drawing(200, 200).stroke(0.06, 0.5, 0.1, 0.5, 0.9).argb, 200, 200);
    assertArrayEquals(small, large, 0.15f);
  }

  /** The held-out test digits, rendered as 128x128 drawings, are recognized after preprocessing. */
  @Test
  public void renderedTestSetDigitsAreRecognized() {
    byte[] raw = TestData.file("digits.raw_images");
    byte[] labels = TestData.file("digits.labels");
    try (Interpreter it = new Interpreter(TestData.model("digits"))) {
      DigitClassifier classifier = new DigitClassifier(it, Labels.fromMetadataOrIndices(null, 10));
      int correct = 0;
      for (int s = 0; s < labels.length; s++) {
        Drawing d = Drawing.fromDigit(raw, s * 64, 16);
        DigitClassifier.Result r = classifier.classify(d.argb, d.width, d.height, 3);
        correct += r.top.get(0).index == labels[s] ? 1 : 0;
      }
      double accuracy = correct / (double) labels.length;
      System.out.println("    rendered test set accuracy " + accuracy);
      assertTrue("accuracy " + accuracy, accuracy >= 0.85);
    }
  }

  /** Synthetic finger drawings of digits, recognized as top-1 by the example model. */
  @Test
  public void syntheticDrawnDigitsAreRecognized() {
    Drawing one = new Drawing(240, 240).stroke(0.05, 0.45, 0.2, 0.55, 0.1, 0.55, 0.9);
    Drawing zero = new Drawing(240, 240).ellipse(0.05, 0.5, 0.5, 0.28, 0.4);
    Drawing four = new Drawing(240, 240)
        .stroke(0.05, 0.55, 0.1, 0.2, 0.6, 0.85, 0.6)
        .stroke(0.05, 0.65, 0.35, 0.65, 0.9);
    // (A plain American-style 7 is read as 2: the data set's 7s have a crossbar and a curl.)
    Drawing[] drawings = {zero, one, four};
    int[] digits = {0, 1, 4};
    try (Interpreter it = new Interpreter(TestData.model("digits"))) {
      DigitClassifier classifier = new DigitClassifier(it, Labels.fromMetadataOrIndices(null, 10));
      for (int i = 0; i < drawings.length; i++) {
        DigitClassifier.Result r = classifier.classify(drawings[i].argb, 240, 240, 3);
        List<DigitClassifier.Guess> top = r.top;
        assertEquals(3, top.size());
        assertEquals("drawn " + digits[i] + " recognized as " + top.get(0).label,
            Integer.toString(digits[i]), top.get(0).label);
        assertTrue(top.get(0).score >= top.get(1).score && top.get(1).score >= top.get(2).score);
        assertTrue(r.latencyMs > 0);
      }
    }
  }
}
