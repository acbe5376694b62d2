package org.edgenet;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.edgenet.testing.TestData;
import org.junit.Test;

/** The thread rules (model shared, interpreter per thread) and flat memory over many runs. */
public class InterpreterThreadsAndMemoryTest {

  @Test
  public void manyInterpretersOnOneModelInSeveralThreadsAgree() throws Exception {
    final int threads = 6;
    final int samples = TestData.samples("digits");
    try (Model model = Model.fromFile(TestData.model("digits"))) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        final int offset = t * 17;
        results.add(pool.submit((Callable<Integer>) () -> {
          int checked = 0;
          try (Interpreter it = new Interpreter(model, new Interpreter.Options().setNumThreads(1))) {
            float[] probs = new float[10];
            for (int k = 0; k < 150; k++) {
              int s = (offset + k) % samples;
              it.run(TestData.input("digits", "image", s), probs);
              assertArrayEquals("sample " + s, (float[]) TestData.expected("digits", "probs", s), probs, 0f);
              checked++;
            }
          }
          return checked;
        }));
      }
      pool.shutdown();
      assertTrue(pool.awaitTermination(120, TimeUnit.SECONDS));
      for (Future<Integer> f : results) {
        assertEquals(Integer.valueOf(150), f.get()); // rethrows any assertion failure
      }
    }
  }

  @Test
  public void concurrentUseOfOneInterpreterIsRejectedNotCorrupting() throws Exception {
    final float[] image = (float[]) TestData.input("digits", "image", 3);
    final float[] want = (float[]) TestData.expected("digits", "probs", 3);
    final AtomicInteger rejected = new AtomicInteger();
    final AtomicInteger wrong = new AtomicInteger();
    try (Interpreter shared = new Interpreter(TestData.model("digits"))) {
      Runnable hammer = () -> {
        float[] probs = new float[10];
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (rejected.get() == 0 && System.nanoTime() < deadline) {
          try {
            shared.run(image, probs);
            if (!java.util.Arrays.equals(want, probs)) {
              wrong.incrementAndGet();
            }
          } catch (IllegalStateException e) {
            if (e.getMessage().contains("not thread-safe")) {
              rejected.incrementAndGet();
            } else {
              wrong.incrementAndGet();
            }
          }
        }
      };
      Thread t1 = new Thread(hammer, "hammer-1");
      Thread t2 = new Thread(hammer, "hammer-2");
      t1.start();
      t2.start();
      t1.join();
      t2.join();
    }
    assertTrue("a second thread inside the interpreter must be rejected", rejected.get() > 0);
    assertEquals("runs that were allowed must be correct", 0, wrong.get());
  }

  /** Resident set size of this process in KiB (Linux /proc). */
  private static long rssKiB() throws IOException {
    for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }

  /**
   * 10,000 runs (arrays and direct buffers) and 1,000 create/close cycles leave RSS flat. The host
   * script starts the JVM with a fixed, pre-touched heap (-Xms = -Xmx, -XX:+AlwaysPreTouch), so
   * RSS growth can only come from native memory: a leak of ~100 bytes per run would show.
   */
  @Test
  public void tenThousandRunsLeaveMemoryFlat() throws Exception {
    float[] image = (float[]) TestData.input("digits", "image", 0);
    float[] want = (float[]) TestData.expected("digits", "probs", 0);
    ByteBuffer in = ByteBuffer.allocateDirect(image.length * 4).order(ByteOrder.nativeOrder());
    in.asFloatBuffer().put(image);
    ByteBuffer out = ByteBuffer.allocateDirect(40).order(ByteOrder.nativeOrder());
    float[] probs = new float[10];
    try (Model model = Model.fromFile(TestData.model("digits"))) {
      Interpreter it = new Interpreter(model);
      Runnable cycle = () -> {
        it.run(image, probs);
        it.run(in, out);
      };
      for (int i = 0; i < 2000; i++) { // warm up the JIT and the allocator
        cycle.run();
        new Interpreter(model).close();
      }
      System.gc();
      long before = rssKiB();
      for (int i = 0; i < 10000; i++) {
        cycle.run();
        if (i % 10 == 0) {
          new Interpreter(model).close();
        }
      }
      System.gc();
      long after = rssKiB();
      it.close();
      assertArrayEquals(want, probs, 0f);
      System.out.println("    RSS before " + before + " KiB, after 10000 runs " + after + " KiB");
      assertTrue("RSS grew by " + (after - before) + " KiB over 10000 runs", after - before < 1024);
    }
  }
}
