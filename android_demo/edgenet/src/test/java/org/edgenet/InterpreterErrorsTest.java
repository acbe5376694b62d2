package org.edgenet;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.edgenet.testing.TestData;
import org.junit.Test;
import org.junit.function.ThrowingRunnable;

/**
 * Every bad input raises the documented exception with a message naming the problem, and the
 * interpreter stays usable afterwards; use after close raises IllegalStateException.
 */
public class InterpreterErrorsTest {

  private static void assertBadArgument(String mustMention, ThrowingRunnable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertNotNull(e.getMessage());
    assertTrue(
        "message '" + e.getMessage() + "' should mention '" + mustMention + "'",
        e.getMessage().contains(mustMention));
  }

  @Test
  public void badShapesDtypesAndNamesRaiseIllegalArgument() {
    try (Interpreter it = new Interpreter(TestData.model("two_io"))) {
      float[] a = (float[]) TestData.input("two_io", "a", 0);
      float[] b = (float[]) TestData.input("two_io", "b", 0);
      Map<Integer, Object> outs = new HashMap<>();
      outs.put(0, new float[6]);

      // wrong element count, wrong dtype, wrong nested shape
      assertBadArgument("'a'", () -> it.runForMultipleInputsOutputs(new Object[] {new float[5], b}, outs));
      assertBadArgument("FLOAT32", () -> it.runForMultipleInputsOutputs(new Object[] {new int[6], b}, outs));
      assertBadArgument("[2, 3]",
          () -> it.runForMultipleInputsOutputs(new Object[] {a, new float[3][2]}, outs));
      assertBadArgument("primitive array",
          () -> it.runForMultipleInputsOutputs(new Object[] {"six floats", b}, outs));
      assertBadArgument("null", () -> it.runForMultipleInputsOutputs(new Object[] {null, b}, outs));
      // wrong number of inputs, output index out of range, wrong output array
      assertBadArgument("2 input", () -> it.runForMultipleInputsOutputs(new Object[] {a}, outs));
      assertBadArgument("out of range",
          () -> it.runForMultipleInputsOutputs(new Object[] {a, b}, Collections.singletonMap(7, new float[6])));
      assertBadArgument("'sum'",
          () -> it.runForMultipleInputsOutputs(new Object[] {a, b}, Collections.singletonMap(0, new float[7])));
      assertBadArgument("'sum'",
          () -> it.runForMultipleInputsOutputs(new Object[] {a, b}, Collections.singletonMap(0, new long[6])));
      // single-input run() on a two-input model
      assertBadArgument("2 input", () -> it.run(a, new float[6]));

      // ByteBuffers: wrong size, wrong byte order, read-only output
      ByteBuffer small = ByteBuffer.allocateDirect(20).order(ByteOrder.nativeOrder());
      assertBadArgument("24 bytes", () -> it.runForMultipleInputsOutputs(new Object[] {small, b}, outs));
      ByteOrder other = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
      ByteBuffer swapped = ByteBuffer.allocateDirect(24).order(other);
      assertBadArgument("nativeOrder", () -> it.runForMultipleInputsOutputs(new Object[] {swapped, b}, outs));
      ByteBuffer readOnly = ByteBuffer.allocateDirect(24).asReadOnlyBuffer().order(ByteOrder.nativeOrder());
      assertBadArgument("read-only",
          () -> it.runForMultipleInputsOutputs(new Object[] {a, b}, Collections.singletonMap(0, readOnly)));

      // names
      Map<String, Object> feeds = new HashMap<>();
      feeds.put("a", a);
      assertBadArgument("Missing input 'b'", () -> it.run(feeds));
      feeds.put("b", b);
      feeds.put("c", b);
      assertBadArgument("Unknown input 'c'", () -> it.run(feeds));
      feeds.remove("c");
      assertBadArgument("Unknown output 'nope'",
          () -> it.run(feeds, Collections.singletonMap("nope", new float[6])));
      assertBadArgument("Unknown input 'zzz'", () -> it.getInputIndex("zzz"));
      assertBadArgument("Unknown output 'zzz'", () -> it.getOutputIndex("zzz"));

      // indexes and resize
      assertThrows(IllegalArgumentException.class, () -> it.getInputTensor(5));
      assertThrows(IllegalArgumentException.class, () -> it.getOutputTensor(-1));
      assertThrows(IllegalArgumentException.class, () -> it.resizeInput(0, new int[] {4, 3})); // fixed dims
      assertThrows(IllegalArgumentException.class, () -> it.resizeInput(9, new int[] {2, 3}));
      assertThrows(IllegalArgumentException.class, () -> it.resizeInput(0, new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9}));

      // After all that, the interpreter still gives the right answer.
      float[] sum = new float[6];
      it.runForMultipleInputsOutputs(new Object[] {a, b}, Collections.singletonMap(0, sum));
      assertArrayEquals((float[]) TestData.expected("two_io", "sum", 0), sum, 0f);
    }
  }

  @Test
  public void dynamicInputMustBeResizedToMatchTheData() {
    try (Interpreter it = new Interpreter(TestData.model("dynamic"))) {
      assertThrows(IllegalArgumentException.class, () -> it.resizeInput(0, new int[] {3, 5})); // dim 1 fixed
      assertThrows(IllegalArgumentException.class, () -> it.resizeInput(0, new int[] {-3, 4}));
      it.resizeInput(0, new int[] {2, 4});
      assertBadArgument("'x'", () -> it.run(new float[12], new float[6]));
    }
  }

  @Test
  public void corruptOrMissingModelsRaiseIllegalArgument() throws Exception {
    byte[] good = TestData.modelBytes("two_io");
    assertBadArgument("nope.enet", () -> new Interpreter(new File("/nonexistent/nope.enet")));
    assertThrows(IllegalArgumentException.class, () -> new Interpreter(new byte[0]));
    assertThrows(IllegalArgumentException.class, () -> new Interpreter("not a model at all".getBytes("UTF-8")));
    assertThrows(IllegalArgumentException.class, () -> new Interpreter((byte[]) null));
    assertThrows(IllegalArgumentException.class, () -> new Interpreter((File) null));
    // Every truncation point and a batch of random corruptions: an exception or a working model,
    // never a crash. Truncations always fail (the file's data section ends the file).
    for (int len = 0; len < good.length; len += Math.max(1, good.length / 97)) {
      byte[] cut = Arrays.copyOf(good, len);
      assertThrows("truncated to " + len, IllegalArgumentException.class, () -> new Interpreter(cut));
    }
    Random rng = new Random(42);
    for (int trial = 0; trial < 300; trial++) {
      byte[] bad = good.clone();
      for (int k = 0; k < 4; k++) {
        bad[rng.nextInt(bad.length)] = (byte) rng.nextInt(256);
      }
      try (Interpreter it = new Interpreter(bad)) {
        it.run(feeds(it));
      } catch (IllegalArgumentException | IllegalStateException | OutOfMemoryError expected) {
        // rejected with a message (a corrupted size may make the core's allocation fail): fine
        assertNotNull(expected.getMessage());
      }
    }
  }

  /**
   * Tensor names and metadata holding byte 0xFF (not UTF-8) reach Java with U+FFFD in its place:
   * never an abort (these tests run under -Xcheck:jni, which aborts the VM when such bytes go
   * through NewStringUTF). The reported names work for lookups, and core errors quoting a name
   * carry it the same way. A core that rejected such names at load would have to say so clearly.
   */
  @Test
  public void namesAndMetadataThatAreNotUtf8ReadWithReplacementCharacters() throws Exception {
    String input = TestData.get("hostile_text.input");
    String output = TestData.get("hostile_text.output");
    assertTrue(input.indexOf('\uFFFD') > 0);
    File file = TestData.dir().resolve(TestData.get("hostile_text.model")).toFile();
    byte[] bytes = java.nio.file.Files.readAllBytes(file.toPath());
    ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length);
    direct.put(bytes).flip();
    Model[] models = {Model.fromFile(file), Model.fromBytes(bytes), Model.fromBuffer(direct)};
    for (Model model : models) {
      try (Interpreter it = new Interpreter(model)) {
        assertEquals(input, it.getInputTensor(0).name());
        assertEquals(output, it.getOutputTensor(0).name());
        assertEquals(TestData.get("hostile_text.metadata.note"), model.getMetadata("note"));
        assertEquals(0, it.getInputIndex(input));
        assertEquals(0, it.getOutputIndex(output));
        Map<String, Object> results = it.run(Collections.singletonMap(input, new float[] {-1f, 0f, 2f}));
        assertArrayEquals(new float[] {0f, 0f, 2f}, (float[]) results.get(output), 0f); // relu
        // the core's own message names the input; it goes through the same conversion
        assertBadArgument(input, () -> it.resizeInput(0, new int[] {2, 3}));
        assertBadArgument("NUL", () -> model.getMetadata("no\u0000te"));
      } finally {
        model.close();
      }
    }
  }

  /** Zero-filled inputs of the right size for whatever the (possibly corrupted) model declares. */
  private static Map<String, Object> feeds(Interpreter it) {
    Map<String, Object> feeds = new HashMap<>();
    for (int i = 0; i < it.getInputCount(); i++) {
      Tensor t = it.getInputTensor(i);
      feeds.put(t.name(), ByteBuffer.allocateDirect((int) Math.min(t.numBytes(), 1 << 20)).order(ByteOrder.nativeOrder()));
    }
    return feeds;
  }

  @Test
  public void useAfterCloseRaisesIllegalStateAndCloseTwiceIsSafe() {
    Interpreter it = new Interpreter(TestData.model("two_io"));
    it.close();
    it.close(); // idempotent
    float[] a = new float[6];
    assertThrows(IllegalStateException.class, () -> it.run(a, new float[6]));
    assertThrows(IllegalStateException.class, () -> it.run(Collections.singletonMap("a", a)));
    assertThrows(IllegalStateException.class, () -> it.getInputCount());
    assertThrows(IllegalStateException.class, () -> it.getOutputCount());
    assertThrows(IllegalStateException.class, () -> it.getInputTensor(0));
    assertThrows(IllegalStateException.class, () -> it.getOutputTensor(0));
    assertThrows(IllegalStateException.class, () -> it.getInputIndex("a"));
    assertThrows(IllegalStateException.class, () -> it.resizeInput(0, new int[] {2, 3}));
    assertThrows(IllegalStateException.class, () -> it.getArenaSizeBytes());
  }

  @Test
  public void sharedModelOutlivesItsInterpretersAndRejectsUseAfterClose() {
    Model model = Model.fromFile(TestData.model("digits"));
    Interpreter it = new Interpreter(model);
    model.close(); // deferred: the interpreter still holds it
    float[] probs = new float[10];
    it.run(TestData.input("digits", "image", 0), probs);
    assertArrayEquals((float[]) TestData.expected("digits", "probs", 0), probs, 0f);
    it.close();
    model.close();
    assertThrows(IllegalStateException.class, () -> new Interpreter(model));
    assertThrows(IllegalStateException.class, () -> model.getInputCount());
    assertThrows(IllegalStateException.class, () -> model.getMetadata("labels"));
  }
}
