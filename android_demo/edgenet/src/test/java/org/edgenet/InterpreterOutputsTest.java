package org.edgenet;

import static org.edgenet.testing.TestData.assertClose;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.edgenet.testing.TestData;
import org.junit.Test;

/**
 * Outputs of the Java API equal the Python Interpreter's on the same model and inputs (bit for bit:
 * same core), and the numpy reference's within float tolerance.
 */
public class InterpreterOutputsTest {

  /** Runs every sample through run(Map) and compares each output with both oracles. */
  private static void checkCase(Interpreter it, String testCase, boolean exact) {
    for (int s = 0; s < TestData.samples(testCase); s++) {
      Map<String, Object> feeds = new HashMap<>();
      for (String name : TestData.inputs(testCase)) {
        feeds.put(name, TestData.input(testCase, name, s));
      }
      Map<String, Object> got = it.run(feeds);
      assertEquals(Arrays.asList(TestData.outputs(testCase)), Arrays.asList(got.keySet().toArray()));
      for (String name : TestData.outputs(testCase)) {
        String what = testCase + " sample " + s + " output " + name;
        Object want = TestData.expected(testCase, name, s);
        if (want instanceof float[]) {
          if (exact) {
            assertArrayEquals(what, (float[]) want, (float[]) got.get(name), 0f);
          }
          if (TestData.hasKey(testCase + ".out." + name + ".reference")) {
            assertClose(what + " vs numpy reference", TestData.reference(testCase, name, s),
                (float[]) got.get(name), 1e-4f);
          }
        } else {
          assertArrayEquals(what, (byte[]) want, (byte[]) got.get(name));
        }
      }
    }
  }

  @Test
  public void twoInputsTwoOutputsMatchPython() {
    try (Interpreter it = new Interpreter(TestData.model("two_io"))) {
      checkCase(it, "two_io", true);
    }
  }

  @Test
  public void digitsModelMatchesPythonOnTheWholeTestSet() {
    try (Interpreter it = new Interpreter(TestData.model("digits"))) {
      checkCase(it, "digits", true);
    }
  }

  @Test
  public void int8DigitsModelMatchesPythonBitForBit() {
    assertTrue("int8 digits model was not produced by testdata.py (issue 3 quantization)",
        TestData.hasCase("digits_int8"));
    try (Interpreter it = new Interpreter(TestData.model("digits_int8"))) {
      checkCase(it, "digits_int8", true);
    }
  }

  @Test
  public void tensorInfoMatchesPython() {
    for (String testCase : TestData.get("cases").split(",")) {
      try (Interpreter it = new Interpreter(TestData.model(testCase))) {
        String[] ins = TestData.inputs(testCase);
        String[] outs = TestData.outputs(testCase);
        assertEquals(ins.length, it.getInputCount());
        assertEquals(outs.length, it.getOutputCount());
        for (int i = 0; i < ins.length; i++) {
          Tensor t = it.getInputTensor(i);
          assertEquals(ins[i], t.name());
          assertEquals(i, it.getInputIndex(ins[i]));
          assertEquals(TestData.dtype(testCase, "in", ins[i]), t.dataType().name().toLowerCase());
          checkQuantization(testCase + ".in." + ins[i], t);
          if (!testCase.equals("dynamic")) {
            assertArrayEquals(TestData.shape(testCase, "in", ins[i]), t.shape());
          }
        }
        for (int i = 0; i < outs.length; i++) {
          Tensor t = it.getOutputTensor(i);
          assertEquals(outs[i], t.name());
          assertEquals(i, it.getOutputIndex(outs[i]));
          assertEquals(TestData.dtype(testCase, "out", outs[i]), t.dataType().name().toLowerCase());
          checkQuantization(testCase + ".out." + outs[i], t);
          if (!testCase.equals("dynamic")) {
            assertArrayEquals(TestData.shape(testCase, "out", outs[i]), t.shape());
            assertEquals(t.numElements() * t.dataType().byteSize(), t.numBytes());
          }
        }
      }
    }
  }

  private static void checkQuantization(String key, Tensor t) {
    if (!TestData.hasKey(key + ".scale")) {
      assertEquals(key + " is not quantized", false, t.isQuantized());
      return;
    }
    String[] scales = TestData.get(key + ".scale").split(",");
    String[] zeros = TestData.get(key + ".zero_point").split(",");
    assertEquals(scales.length, t.scales().length);
    for (int i = 0; i < scales.length; i++) {
      assertEquals(Float.parseFloat(scales[i]), t.scales()[i], 0f);
      assertEquals(Long.parseLong(zeros[i]), t.zeroPoints()[i]);
    }
  }

  @Test
  public void everyModelSourceAndDataPathGivesTheSameOutputs() throws Exception {
    String c = "two_io";
    float[] a = (float[]) TestData.input(c, "a", 1);
    float[] b = (float[]) TestData.input(c, "b", 1);
    float[] wantSum = (float[]) TestData.expected(c, "sum", 1);
    float[] wantProbs = (float[]) TestData.expected(c, "probs", 1);
    byte[] bytes = TestData.modelBytes(c);

    ByteBuffer heap = ByteBuffer.wrap(bytes);
    ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length + 1);
    direct.put((byte) 0).put(bytes).flip().position(1); // deliberately misaligned start
    MappedByteBuffer mapped;
    try (RandomAccessFile f = new RandomAccessFile(TestData.model(c), "r")) {
      mapped = f.getChannel().map(FileChannel.MapMode.READ_ONLY, 0, f.length());
    }
    Interpreter[] sources = {
      new Interpreter(TestData.model(c), new Interpreter.Options().setNumThreads(1)),
      new Interpreter(bytes),
      new Interpreter(heap),
      new Interpreter(direct),
      new Interpreter(mapped, new Interpreter.Options().setNumThreads(2)),
    };
    for (Interpreter it : sources) {
      try {
        // Flat arrays by index.
        float[] sum = new float[6];
        float[] probs = new float[10];
        Map<Integer, Object> outs = new HashMap<>();
        outs.put(0, sum);
        outs.put(1, probs);
        it.runForMultipleInputsOutputs(new Object[] {a, b}, outs);
        assertArrayEquals(wantSum, sum, 0f);
        assertArrayEquals(wantProbs, probs, 0f);

        // Nested arrays in the tensor's shape, by name.
        float[][] sum2 = new float[2][3];
        float[][] probs2 = new float[2][5];
        Map<String, Object> named = new HashMap<>();
        named.put("probs", probs2);
        named.put("sum", sum2);
        Map<String, Object> feeds = new HashMap<>();
        feeds.put("a", nest(a, 2, 3));
        feeds.put("b", nest(b, 2, 3));
        it.run(feeds, named);
        assertArrayEquals(wantSum, flat(sum2), 0f);
        assertArrayEquals(wantProbs, flat(probs2), 0f);

        // Direct ByteBuffers in native order (zero-copy on the Java side), at a non-zero position.
        ByteBuffer inA = directFloats(a, 8);
        ByteBuffer inB = directFloats(b, 0);
        ByteBuffer outSum = ByteBuffer.allocateDirect(24).order(ByteOrder.nativeOrder());
        ByteBuffer outProbs = ByteBuffer.allocateDirect(40).order(ByteOrder.nativeOrder());
        Map<Integer, Object> bufOuts = new HashMap<>();
        bufOuts.put(0, outSum);
        bufOuts.put(1, outProbs);
        it.runForMultipleInputsOutputs(new Object[] {inA, inB}, bufOuts);
        float[] gotSum = new float[6];
        float[] gotProbs = new float[10];
        outSum.asFloatBuffer().get(gotSum);
        outProbs.asFloatBuffer().get(gotProbs);
        assertArrayEquals(wantSum, gotSum, 0f);
        assertArrayEquals(wantProbs, gotProbs, 0f);
        assertTrue(it.getLastNativeInferenceDurationNanoseconds() > 0);
      } finally {
        it.close();
      }
    }
  }

  @Test
  public void singleInputRunWithNestedArrays() {
    try (Interpreter it = new Interpreter(TestData.model("digits"))) {
      float[] image = (float[]) TestData.input("digits", "image", 7);
      float[][][][] nested = new float[1][8][8][1];
      for (int i = 0; i < 64; i++) {
        nested[0][i / 8][i % 8][0] = image[i];
      }
      float[][] probs = new float[1][10];
      it.run(nested, probs);
      assertArrayEquals((float[]) TestData.expected("digits", "probs", 7), probs[0], 0f);
    }
  }

  @Test
  public void resizeInputOnADynamicBatch() {
    try (Interpreter it = new Interpreter(TestData.model("dynamic"))) {
      assertEquals(-1, it.getInputTensor(0).shape()[0]);
      int[] shape = TestData.shape("dynamic", "in", "x");
      it.resizeInput(0, shape);
      assertArrayEquals(shape, it.getInputTensor(0).shape());
      assertArrayEquals(TestData.shape("dynamic", "out", "y"), it.getOutputTensor(0).shape());
      for (int s = 0; s < TestData.samples("dynamic"); s++) {
        float[] y = new float[it.getOutputTensor(0).numElements()];
        it.run(TestData.input("dynamic", "x", s), y);
        assertArrayEquals((float[]) TestData.expected("dynamic", "y", s), y, 0f);
        assertClose("dynamic vs reference", TestData.reference("dynamic", "y", s), y, 1e-4f);
      }
      // A different batch works too: batch 1 is the first row of the batch-3 sample.
      it.resizeInput(0, new int[] {1, shape[1]});
      float[] x = (float[]) TestData.input("dynamic", "x", 0);
      float[] y1 = new float[it.getOutputTensor(0).numElements()];
      it.run(Arrays.copyOf(x, shape[1]), y1);
      float[] want = (float[]) TestData.expected("dynamic", "y", 0);
      assertArrayEquals(Arrays.copyOf(want, y1.length), y1, 0f);
    }
  }

  @Test
  public void metadataIsReadable() {
    try (Model m = Model.fromFile(TestData.model("digits"))) {
      assertEquals(1, m.getInputCount());
      assertEquals(1, m.getOutputCount());
      assertEquals(null, m.getMetadata("no such key, surely"));
    }
  }

  static float[][] nest(float[] flat, int rows, int cols) {
    float[][] out = new float[rows][cols];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(flat, r * cols, out[r], 0, cols);
    }
    return out;
  }

  static float[] flat(float[][] nested) {
    int cols = nested[0].length;
    float[] out = new float[nested.length * cols];
    for (int r = 0; r < nested.length; r++) {
      System.arraycopy(nested[r], 0, out, r * cols, cols);
    }
    return out;
  }

  static ByteBuffer directFloats(float[] values, int offset) {
    ByteBuffer b = ByteBuffer.allocateDirect(offset + values.length * 4).order(ByteOrder.nativeOrder());
    b.position(offset);
    b.slice().order(ByteOrder.nativeOrder()).asFloatBuffer().put(values);
    return b;
  }
}
