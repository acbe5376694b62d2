package org.edgenet;

/** Loads the JNI library (libedgenet_jni.so) once per process. */
final class NativeLibrary {
  static final String NAME = "edgenet_jni";
  private static boolean loaded;

  private NativeLibrary() {}

  static synchronized void load() {
    if (!loaded) {
      System.loadLibrary(NAME);
      loaded = true;
    }
  }
}
