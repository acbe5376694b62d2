package org.edgenet;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import org.edgenet.testing.TestData;
import org.junit.Test;

/**
 * State variables persist across runs of one interpreter (the "streaming" model: y_t = 2 * (x_1 +
 * ... + x_t), expected outputs from a numpy loop), resetState restores the initial values, two
 * interpreters keep separate states; resizeInput by name and its errors.
 */
public class StreamingStateTest {

  private static float[] x(int t) {
    return (float[]) TestData.input("streaming", "x", t);
  }

  private static float[] expected(int t) {
    return (float[]) TestData.expected("streaming", "y", t);
  }

  private static float[] run(Interpreter it, float[] input) {
    float[] y = new float[4];
    it.run(input, y);
    return y;
  }

  @Test
  public void stateCarriesAcrossRunsAndResetRestoresIt() {
    try (Interpreter it = new Interpreter(TestData.model("streaming"))) {
      int n = TestData.samples("streaming");
      for (int t = 0; t < n; t++) {
        assertArrayEquals("run " + t, expected(t), run(it, x(t)), 1e-5f);
      }
      it.resetState();
      for (int t = 0; t < 2; t++) {
        assertArrayEquals("after reset, run " + t, expected(t), run(it, x(t)), 1e-5f);
      }
    }
  }

  @Test
  public void twoInterpretersKeepSeparateStates() {
    Model model = Model.fromFile(TestData.model("streaming"));
    try (Interpreter a = new Interpreter(model);
        Interpreter b = new Interpreter(model)) {
      assertArrayEquals(expected(0), run(a, x(0)), 1e-5f);
      assertArrayEquals(expected(1), run(a, x(1)), 1e-5f);
      assertArrayEquals(expected(0), run(b, x(0)), 1e-5f); // b starts its own stream
      b.resetState();
      assertArrayEquals(expected(2), run(a, x(2)), 1e-5f); // a's stream is untouched
    } finally {
      model.close();
    }
  }

  @Test
  public void resetStateOnAModelWithoutStatesDoesNothing() {
    try (Interpreter it = new Interpreter(TestData.model("two_io"))) {
      it.resetState();
    }
  }

  private static void assertBadArgument(String mustMention, org.junit.function.ThrowingRunnable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue("message '" + e.getMessage() + "' should mention '" + mustMention + "'",
        e.getMessage().contains(mustMention));
  }

  @Test
  public void resizeInputByNameAndItsErrors() {
    try (Interpreter it = new Interpreter(TestData.model("dynamic"))) {
      it.resizeInput("x", new int[] {5, 4});
      assertArrayEquals(new int[] {5, 3}, it.getOutputTensor(0).shape());
      assertBadArgument("nope", () -> it.resizeInput("nope", new int[] {2, 4}));
      assertBadArgument("only -1 dims may change", () -> it.resizeInput("x", new int[] {2}));
      assertBadArgument("only -1 dims may change", () -> it.resizeInput("x", new int[] {2, 5}));
      assertBadArgument("out of range", () -> it.resizeInput(3, new int[] {2, 4}));
      it.resizeInput(0, new int[] {2, 4}); // still usable
      assertArrayEquals(new int[] {2, 3}, it.getOutputTensor(0).shape());
    }
  }
}
