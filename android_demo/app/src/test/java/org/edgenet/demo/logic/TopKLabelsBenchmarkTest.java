package org.edgenet.demo.logic;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.edgenet.Interpreter;
import org.edgenet.Tensor;
import org.edgenet.testing.TestData;
import org.junit.Test;

/** Top-k, labels, benchmark statistics and the model-info text, each against a simple oracle. */
public class TopKLabelsBenchmarkTest {

  @Test
  public void topKMatchesRepeatedArgmax() {
    Random rng = new Random(7);
    for (int trial = 0; trial < 200; trial++) {
      float[] scores = new float[1 + rng.nextInt(20)];
      for (int i = 0; i < scores.length; i++) {
        scores[i] = rng.nextInt(5) / 4f; // many ties on purpose
      }
      int k = rng.nextInt(scores.length + 3);
      List<TopK.Entry> got = TopK.of(scores, k);
      // Oracle: pick the first maximum among the unused, k times.
      boolean[] used = new boolean[scores.length];
      assertEquals(Math.min(k, scores.length), got.size());
      for (TopK.Entry e : got) {
        int best = -1;
        for (int i = 0; i < scores.length; i++) {
          if (!used[i] && (best < 0 || scores[i] > scores[best])) {
            best = i;
          }
        }
        used[best] = true;
        assertEquals(best, e.index);
        assertEquals(scores[best], e.score, 0f);
      }
    }
    assertEquals("NaN ranks last", 0, TopK.of(new float[] {Float.NaN, 1f, 0.5f}, 3).get(2).index);
    assertThrows(IllegalArgumentException.class, () -> TopK.of(new float[3], -1));
  }

  @Test
  public void labelsParseLinesAndFallBackToIndices() throws Exception {
    String text = "zero\r\none\n\n  two  \nthree";
    assertEquals(Arrays.asList("zero", "one", "two", "three"), Labels.parse(text));
    assertEquals(Labels.parse(text),
        Labels.load(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8))));
    assertEquals(Arrays.asList("0", "1", "2"), Labels.fromMetadataOrIndices(null, 3));
    assertEquals(Arrays.asList("a", "b"), Labels.fromMetadataOrIndices("a\nb", 3));
    assertEquals("b", Labels.of(Arrays.asList("a", "b"), 1));
    assertEquals("#5", Labels.of(Arrays.asList("a", "b"), 5));
  }

  @Test
  public void benchmarkStatisticsMatchHandComputedValues() {
    Benchmark.Result r = Benchmark.summarize(new long[] {4_000_000, 1_000_000, 3_000_000, 2_000_000});
    assertEquals(4, r.runs);
    assertEquals(2.5, r.medianMs, 1e-9);
    assertEquals(1.0, r.minMs, 1e-9);
    assertEquals(2.5, r.meanMs, 1e-9);
    assertEquals(3.0, Benchmark.summarize(new long[] {5_000_000, 3_000_000, 1_000_000}).medianMs, 1e-9);
    assertThrows(IllegalArgumentException.class, () -> Benchmark.summarize(new long[0]));
  }

  @Test
  public void benchmarkRunsAnyModelIncludingDynamicOnes() {
    for (String testCase : new String[] {"digits", "two_io", "dynamic"}) {
      try (Interpreter it = new Interpreter(TestData.model(testCase))) {
        Benchmark.Result r = Benchmark.run(it, 2, 20);
        assertEquals(20, r.runs);
        assertTrue(r.minMs > 0 && r.minMs <= r.medianMs);
      }
    }
  }

  @Test
  public void modelInfoListsEveryTensorAsThePythonInterpreterSeesIt() {
    for (String testCase : new String[] {"digits", "two_io"}) {
      try (Interpreter it = new Interpreter(TestData.model(testCase))) {
        String text = ModelInfo.describe(it, TestData.model(testCase).length());
        for (String name : TestData.inputs(testCase)) {
          String shape = Arrays.toString(TestData.shape(testCase, "in", name));
          assertTrue(text, text.contains(name + ": FLOAT32 " + shape));
        }
        for (String name : TestData.outputs(testCase)) {
          String shape = Arrays.toString(TestData.shape(testCase, "out", name));
          assertTrue(text, text.contains(name + ": FLOAT32 " + shape));
        }
        assertTrue(text, text.contains("File size: " + ModelInfo.formatBytes(TestData.model(testCase).length())));
        Tensor t = it.getInputTensor(0);
        assertTrue(ModelInfo.brief(t).startsWith(t.name()));
      }
    }
    assertEquals("512 B", ModelInfo.formatBytes(512));
    assertEquals("1.5 KiB", ModelInfo.formatBytes(1536));
    assertEquals("2.0 MiB", ModelInfo.formatBytes(2 * 1024 * 1024));
  }
}
