package org.edgenet.testing;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Properties;

/**
 * Reads the models, inputs and expected outputs that android_demo/tools/testdata.py writes with the
 * Python package (directory given by the system property {@code edgenet.testdata}). Expected
 * outputs are the Python Interpreter's ("expected") and the numpy reference's ("reference").
 *
 * <p>Each data file holds {@code samples} consecutive samples; methods take a sample index and
 * return that slice as a typed array (float32 to float[], int8/uint8/bool to byte[], int32 to
 * int[], int64 to long[]).
 */
public final class TestData {
  private static Properties manifest;

  private TestData() {}

  public static synchronized Properties manifest() {
    if (manifest == null) {
      Path path = dir().resolve("manifest.properties");
      Properties p = new Properties();
      try (InputStream in = Files.newInputStream(path)) {
        p.load(in);
      } catch (IOException e) {
        throw new IllegalStateException("cannot read " + path + ": run android_demo/run_host_tests.sh", e);
      }
      manifest = p;
    }
    return manifest;
  }

  public static Path dir() {
    String d = System.getProperty("edgenet.testdata");
    if (d == null) {
      throw new IllegalStateException(
          "system property edgenet.testdata is not set: run android_demo/run_host_tests.sh");
    }
    return Paths.get(d);
  }

  public static boolean hasCase(String name) {
    for (String c : get("cases").split(",")) {
      if (c.equals(name)) {
        return true;
      }
    }
    return false;
  }

  public static String get(String key) {
    String v = manifest().getProperty(key);
    if (v == null) {
      throw new IllegalStateException("test data manifest has no key " + key);
    }
    return v;
  }

  public static File model(String testCase) {
    return dir().resolve(get(testCase + ".model")).toFile();
  }

  public static byte[] modelBytes(String testCase) throws IOException {
    return Files.readAllBytes(model(testCase).toPath());
  }

  public static int samples(String testCase) {
    return Integer.parseInt(get(testCase + ".samples"));
  }

  public static String[] inputs(String testCase) {
    return get(testCase + ".inputs").split(",");
  }

  public static String[] outputs(String testCase) {
    return get(testCase + ".outputs").split(",");
  }

  /** Shape of one sample of input ("in") or output ("out") `name`. */
  public static int[] shape(String testCase, String inOrOut, String name) {
    String[] parts = get(testCase + "." + inOrOut + "." + name + ".shape").split(",");
    int[] shape = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      shape[i] = Integer.parseInt(parts[i].trim());
    }
    return shape;
  }

  public static String dtype(String testCase, String inOrOut, String name) {
    return get(testCase + "." + inOrOut + "." + name + ".dtype");
  }

  public static Object input(String testCase, String name, int sample) {
    String key = testCase + ".in." + name;
    return slice(get(key), get(key + ".dtype"), samples(testCase), sample);
  }

  /** The Python Interpreter's output for a sample. */
  public static Object expected(String testCase, String name, int sample) {
    String key = testCase + ".out." + name;
    return slice(get(key + ".expected"), get(key + ".dtype"), samples(testCase), sample);
  }

  /** The numpy reference's output for a sample, as float32. */
  public static float[] reference(String testCase, String name, int sample) {
    String key = testCase + ".out." + name + ".reference";
    return (float[]) slice(get(key), "float32", samples(testCase), sample);
  }

  public static boolean hasKey(String key) {
    return manifest().getProperty(key) != null;
  }

  public static byte[] file(String key) {
    try {
      return Files.readAllBytes(dir().resolve(get(key)));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Object slice(String fileName, String dtype, int samples, int sample) {
    byte[] all;
    try {
      all = Files.readAllBytes(dir().resolve(fileName));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    int per = all.length / samples;
    ByteBuffer b = ByteBuffer.wrap(all, sample * per, per).slice().order(ByteOrder.LITTLE_ENDIAN);
    switch (dtype) {
      case "float32": {
        float[] out = new float[per / 4];
        b.asFloatBuffer().get(out);
        return out;
      }
      case "int32": {
        int[] out = new int[per / 4];
        b.asIntBuffer().get(out);
        return out;
      }
      case "int64": {
        long[] out = new long[per / 8];
        b.asLongBuffer().get(out);
        return out;
      }
      case "int16": {
        short[] out = new short[per / 2];
        b.asShortBuffer().get(out);
        return out;
      }
      case "int8":
      case "uint8":
      case "bool": {
        byte[] out = new byte[per];
        b.get(out);
        return out;
      }
      default:
        throw new IllegalStateException("unknown dtype " + dtype);
    }
  }

  /** Asserts a float array is within tol (absolute + relative) of the reference. */
  public static void assertClose(String what, float[] reference, float[] actual, float tol) {
    assertEquals(what + ": length", reference.length, actual.length);
    for (int i = 0; i < reference.length; i++) {
      float diff = Math.abs(reference[i] - actual[i]);
      if (diff > tol * (1 + Math.abs(reference[i]))) {
        fail(what + "[" + i + "]: expected " + reference[i] + ", got " + actual[i]);
      }
    }
  }
}
