package org.edgenet.host;

import org.junit.runner.Description;
import org.junit.runner.JUnitCore;
import org.junit.runner.Request;
import org.junit.runner.Result;
import org.junit.runner.notification.Failure;
import org.junit.runner.notification.RunListener;

/**
 * Runs JUnit 4 test classes on the host JVM, printing one PASS/FAIL line per test and a final
 * "N passed, N failed" line (run_host_tests.sh adds its own checks to these counts).
 *
 * <p>Usage: java org.edgenet.host.HostTestMain TestClass...
 */
public final class HostTestMain {
  public static void main(String[] args) throws Exception {
    JUnitCore core = new JUnitCore();
    final int[] failed = {0};
    core.addListener(new RunListener() {
      private boolean currentFailed;

      @Override
      public void testStarted(Description d) {
        currentFailed = false;
      }

      @Override
      public void testFailure(Failure f) {
        currentFailed = true;
        failed[0]++;
        System.out.println("FAIL " + name(f.getDescription()) + ": " + f.getException());
        if (!(f.getException() instanceof AssertionError)) {
          f.getException().printStackTrace(System.out);
        }
      }

      @Override
      public void testFinished(Description d) {
        if (!currentFailed) {
          System.out.println("PASS " + name(d));
        }
      }
    });
    int total = 0;
    int failures = 0;
    for (String className : args) {
      Result r = core.run(Request.aClass(Class.forName(className)));
      total += r.getRunCount();
      failures += r.getFailureCount();
    }
    System.out.println("JUNIT-RESULT " + (total - failures) + " " + failures);
    System.exit(failures == 0 ? 0 : 1);
  }

  private static String name(Description d) {
    String cls = d.getClassName();
    return cls.substring(cls.lastIndexOf('.') + 1) + "." + d.getMethodName();
  }
}
