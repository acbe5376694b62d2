/*
 * edgenet_jni.c — JNI glue between org.edgenet.{Model,Interpreter} and the C API (edgenet.h).
 *
 * Rules this file keeps:
 *  - Every failing C call becomes a Java exception carrying enet_last_error():
 *    IllegalStateException for ENET_ERROR_INVALID_STATE, OutOfMemoryError for
 *    ENET_ERROR_OUT_OF_MEMORY, IllegalArgumentException for everything else (bad
 *    shape/dtype/name/index, corrupt or unsupported model, unreadable file).
 *  - A zero handle (use after close) raises IllegalStateException; the Java side checks first,
 *    this is the second line of defence so the process never crashes.
 *  - No local references accumulate: functions create a bounded number per call (they are freed
 *    when the call returns), and nothing here loops over Java objects.
 *  - Thread rules live in Java (Interpreter guards against concurrent use); the model handle is
 *    immutable and shared.
 *  - Text crosses the boundary as real UTF-8 (new_string / utf8_of), never through NewStringUTF,
 *    ThrowNew or GetStringUTFChars: those speak *modified* UTF-8, and names, metadata and error
 *    messages come from an untrusted file (a 0xFF byte in a name aborts the VM under CheckJNI).
 *  - Critical sections (GetPrimitiveArrayCritical) only around a copy: the GC is blocked inside.
 */
#include <jni.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgenet.h"

static jclass g_illegal_argument;
static jclass g_illegal_state;
static jclass g_out_of_memory;
static jmethodID g_illegal_argument_ctor;
static jmethodID g_illegal_state_ctor;
static jmethodID g_out_of_memory_ctor;
static jclass g_tensor_class;
static jmethodID g_tensor_ctor;
static jclass g_string_class;
static jmethodID g_string_from_bytes;  /* String(byte[], Charset) */
static jmethodID g_string_get_bytes;   /* String.getBytes(Charset) */
static jobject g_utf8;                 /* StandardCharsets.UTF_8 */

static jclass global_class(JNIEnv* env, const char* name) {
  jclass local = (*env)->FindClass(env, name);
  if (local == NULL) return NULL;
  jclass global = (jclass)(*env)->NewGlobalRef(env, local);
  (*env)->DeleteLocalRef(env, local);
  return global;
}

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM* vm, void* reserved) {
  (void)reserved;
  JNIEnv* env;
  if ((*vm)->GetEnv(vm, (void**)&env, JNI_VERSION_1_6) != JNI_OK) return JNI_ERR;
  g_illegal_argument = global_class(env, "java/lang/IllegalArgumentException");
  g_illegal_state = global_class(env, "java/lang/IllegalStateException");
  g_out_of_memory = global_class(env, "java/lang/OutOfMemoryError");
  g_tensor_class = global_class(env, "org/edgenet/Tensor");
  g_string_class = global_class(env, "java/lang/String");
  jclass charsets = (*env)->FindClass(env, "java/nio/charset/StandardCharsets");
  if (!g_illegal_argument || !g_illegal_state || !g_out_of_memory || !g_tensor_class || !g_string_class ||
      !charsets)
    return JNI_ERR;
  jfieldID utf8_field = (*env)->GetStaticFieldID(env, charsets, "UTF_8", "Ljava/nio/charset/Charset;");
  if (utf8_field == NULL) return JNI_ERR;
  jobject utf8 = (*env)->GetStaticObjectField(env, charsets, utf8_field);
  g_utf8 = utf8 ? (*env)->NewGlobalRef(env, utf8) : NULL;
  (*env)->DeleteLocalRef(env, utf8);
  (*env)->DeleteLocalRef(env, charsets);
  g_string_from_bytes = (*env)->GetMethodID(env, g_string_class, "<init>", "([BLjava/nio/charset/Charset;)V");
  g_string_get_bytes = (*env)->GetMethodID(env, g_string_class, "getBytes", "(Ljava/nio/charset/Charset;)[B");
  g_illegal_argument_ctor = (*env)->GetMethodID(env, g_illegal_argument, "<init>", "(Ljava/lang/String;)V");
  g_illegal_state_ctor = (*env)->GetMethodID(env, g_illegal_state, "<init>", "(Ljava/lang/String;)V");
  g_out_of_memory_ctor = (*env)->GetMethodID(env, g_out_of_memory, "<init>", "(Ljava/lang/String;)V");
  if (!g_utf8 || !g_string_from_bytes || !g_string_get_bytes || !g_illegal_argument_ctor || !g_illegal_state_ctor ||
      !g_out_of_memory_ctor)
    return JNI_ERR;
  /* Keep in sync with the Tensor constructor in Tensor.java. */
  g_tensor_ctor = (*env)->GetMethodID(env, g_tensor_class, "<init>",
                                      "(Ljava/lang/String;I[IJ[F[JI)V");
  if (g_tensor_ctor == NULL) return JNI_ERR;
  return JNI_VERSION_1_6;
}

/* ---- text ------------------------------------------------------------------------------- */

/* A Java String decoded from UTF-8 `text` (a name, metadata value or error message, possibly
 * from a hostile file): invalid sequences become U+FFFD, as java.lang.String decodes them.
 * NULL with an exception pending (out of memory). */
static jstring new_string(JNIEnv* env, const char* text) {
  if (text == NULL) text = "";
  jsize length = (jsize)strlen(text);
  jbyteArray bytes = (*env)->NewByteArray(env, length);
  if (bytes == NULL) return NULL;
  (*env)->SetByteArrayRegion(env, bytes, 0, length, (const jbyte*)text);
  jstring result = (jstring)(*env)->NewObject(env, g_string_class, g_string_from_bytes, bytes, g_utf8);
  int failed = (*env)->ExceptionCheck(env);
  (*env)->DeleteLocalRef(env, bytes);
  return failed ? NULL : result;
}

/* ---- errors ------------------------------------------------------------------------------- */

static void throw_message(JNIEnv* env, jclass cls, const char* message) {
  if ((*env)->ExceptionCheck(env)) return;  /* keep the first exception */
  jmethodID ctor = cls == g_illegal_state ? g_illegal_state_ctor
                   : cls == g_out_of_memory ? g_out_of_memory_ctor
                                            : g_illegal_argument_ctor;
  jstring text = new_string(env, message);
  if (text == NULL) return; /* OutOfMemoryError pending */
  jthrowable error = (jthrowable)(*env)->NewObject(env, cls, ctor, text);
  if (!(*env)->ExceptionCheck(env) && error != NULL) (*env)->Throw(env, error);
  (*env)->DeleteLocalRef(env, error);
  (*env)->DeleteLocalRef(env, text);
}

/* `text` encoded as NUL-terminated UTF-8 in malloc'd memory (free it), or NULL with an exception
 * pending: a null string, or one holding U+0000 (C would silently cut it there). */
static char* utf8_of(JNIEnv* env, jstring text, const char* what) {
  if (text == NULL) {
    char message[128];
    snprintf(message, sizeof message, "%s is null", what);
    throw_message(env, g_illegal_argument, message);
    return NULL;
  }
  jbyteArray bytes = (jbyteArray)(*env)->CallObjectMethod(env, text, g_string_get_bytes, g_utf8);
  if ((*env)->ExceptionCheck(env) || bytes == NULL) return NULL; /* OutOfMemoryError pending */
  jsize length = (*env)->GetArrayLength(env, bytes);
  char* result = malloc((size_t)length + 1);
  if (result == NULL) {
    (*env)->DeleteLocalRef(env, bytes);
    throw_message(env, g_out_of_memory, "out of memory copying a string");
    return NULL;
  }
  (*env)->GetByteArrayRegion(env, bytes, 0, length, (jbyte*)result);
  (*env)->DeleteLocalRef(env, bytes);
  result[length] = 0;
  if (memchr(result, 0, (size_t)length) != NULL) {
    char message[128];
    snprintf(message, sizeof message, "%s contains a NUL character", what);
    free(result);
    throw_message(env, g_illegal_argument, message);
    return NULL;
  }
  return result;
}

/* Throws the Java exception for a failed C call; `what` names the operation. */
static void throw_status(JNIEnv* env, enet_status status, const char* what) {
  const char* detail = enet_last_error();
  char message[1024];
  snprintf(message, sizeof message, "%s failed (%s): %s", what, enet_status_name(status),
           detail && *detail ? detail : "no details");
  jclass cls = status == ENET_ERROR_INVALID_STATE   ? g_illegal_state
               : status == ENET_ERROR_OUT_OF_MEMORY ? g_out_of_memory
                                                    : g_illegal_argument;
  throw_message(env, cls, message);
}

/* What a Model handle points to: the core's model, and the aligned native copy of a byte[] model
 * that the core reads in place (NULL for a file or a direct buffer). */
typedef struct jni_model {
  enet_model* model;
  void* bytes_copy;
} jni_model;

static jlong model_handle(JNIEnv* env, enet_model* model, void* bytes_copy) {
  jni_model* m = malloc(sizeof *m);
  if (m == NULL) {
    enet_model_free(model);
    free(bytes_copy);
    throw_message(env, g_out_of_memory, "out of memory");
    return 0;
  }
  m->model = model;
  m->bytes_copy = bytes_copy;
  return (jlong)(intptr_t)m;
}

static enet_model* model_of(JNIEnv* env, jlong handle) {
  if (handle == 0) {
    throw_message(env, g_illegal_state, "Model has been closed");
    return NULL;
  }
  return ((jni_model*)(intptr_t)handle)->model;
}

static enet_interpreter* interp_of(JNIEnv* env, jlong handle) {
  if (handle == 0) throw_message(env, g_illegal_state, "Interpreter has been closed");
  return (enet_interpreter*)(intptr_t)handle;
}

/* ---- org.edgenet.Model ----------------------------------------------------------------------- */

JNIEXPORT jlong JNICALL Java_org_edgenet_Model_nativeLoadFile(JNIEnv* env, jclass cls, jstring path) {
  (void)cls;
  char* cpath = utf8_of(env, path, "model path");
  if (cpath == NULL) return 0;
  enet_model* model = NULL;
  enet_status status = enet_model_load_file(cpath, &model);
  char what[512];
  snprintf(what, sizeof what, "Loading model file '%s'", cpath);
  free(cpath);
  if (status != ENET_OK) {
    throw_status(env, status, what);
    return 0;
  }
  return model_handle(env, model, NULL);
}

JNIEXPORT jlong JNICALL Java_org_edgenet_Model_nativeLoadDirect(JNIEnv* env, jclass cls,
                                                                jobject buffer, jlong size) {
  (void)cls;
  void* data = (*env)->GetDirectBufferAddress(env, buffer);
  jlong capacity = (*env)->GetDirectBufferCapacity(env, buffer);
  if (data == NULL || capacity < 0 || size < 0 || size > capacity) {
    throw_message(env, g_illegal_argument, "model buffer is not a usable direct ByteBuffer");
    return 0;
  }
  /* Constant tensors are used in place and the format aligns them to 64 bytes from the start of
   * the file; a buffer that does not start on such a boundary is copied (by the core) instead. */
  int copy = ((uintptr_t)data % 64) != 0;
  enet_model* model = NULL;
  enet_status status = enet_model_load_buffer(data, (size_t)size, copy, &model);
  if (status != ENET_OK) {
    throw_status(env, status, "Loading model from ByteBuffer");
    return 0;
  }
  return model_handle(env, model, NULL);
}

/* The bytes are copied once, without a critical section (the GC runs on during verification),
 * into memory aligned as the core wants it, which then reads them in place. */
JNIEXPORT jlong JNICALL Java_org_edgenet_Model_nativeLoadBytes(JNIEnv* env, jclass cls, jbyteArray bytes) {
  (void)cls;
  jsize size = (*env)->GetArrayLength(env, bytes);
  enum { ALIGNMENT = 64 }; /* the format's constant-data alignment (ENET_ALIGNMENT in the core) */
  char* copy = malloc((size_t)size + ALIGNMENT);
  if (copy == NULL) {
    throw_message(env, g_out_of_memory, "out of memory copying the model bytes");
    return 0;
  }
  char* aligned = copy + (ALIGNMENT - (uintptr_t)copy % ALIGNMENT);
  (*env)->GetByteArrayRegion(env, bytes, 0, size, (jbyte*)aligned);
  enet_model* model = NULL;
  enet_status status = enet_model_load_buffer(aligned, (size_t)size, /*copy=*/0, &model);
  if (status != ENET_OK) {
    free(copy);
    throw_status(env, status, "Loading model from byte[]");
    return 0;
  }
  return model_handle(env, model, copy);
}

JNIEXPORT void JNICALL Java_org_edgenet_Model_nativeFree(JNIEnv* env, jclass cls, jlong handle) {
  (void)env;
  (void)cls;
  jni_model* m = (jni_model*)(intptr_t)handle;
  if (m == NULL) return;
  enet_model_free(m->model); /* before the bytes it reads */
  free(m->bytes_copy);
  free(m);
}

JNIEXPORT jint JNICALL Java_org_edgenet_Model_nativeNumInputs(JNIEnv* env, jclass cls, jlong handle) {
  (void)cls;
  enet_model* model = model_of(env, handle);
  return model ? enet_model_num_inputs(model) : 0;
}

JNIEXPORT jint JNICALL Java_org_edgenet_Model_nativeNumOutputs(JNIEnv* env, jclass cls, jlong handle) {
  (void)cls;
  enet_model* model = model_of(env, handle);
  return model ? enet_model_num_outputs(model) : 0;
}

JNIEXPORT jstring JNICALL Java_org_edgenet_Model_nativeMetadata(JNIEnv* env, jclass cls, jlong handle,
                                                                jstring key) {
  (void)cls;
  enet_model* model = model_of(env, handle);
  if (model == NULL) return NULL;
  char* ckey = utf8_of(env, key, "metadata key");
  if (ckey == NULL) return NULL;
  const char* value = enet_model_metadata(model, ckey);
  free(ckey);
  return value ? new_string(env, value) : NULL;
}

/* ---- org.edgenet.Interpreter ----------------------------------------------------------------- */

JNIEXPORT jlong JNICALL Java_org_edgenet_Interpreter_nativeCreate(JNIEnv* env, jclass cls,
                                                                  jlong model_handle, jint threads) {
  (void)cls;
  enet_model* model = model_of(env, model_handle);
  if (model == NULL) return 0;
  enet_options options = {.num_threads = threads};
  enet_interpreter* interpreter = NULL;
  enet_status status = enet_interpreter_create(model, &options, &interpreter);
  if (status != ENET_OK) {
    throw_status(env, status, "Creating interpreter");
    return 0;
  }
  return (jlong)(intptr_t)interpreter;
}

JNIEXPORT void JNICALL Java_org_edgenet_Interpreter_nativeFree(JNIEnv* env, jclass cls, jlong handle) {
  (void)env;
  (void)cls;
  enet_interpreter_free((enet_interpreter*)(intptr_t)handle);
}

JNIEXPORT jint JNICALL Java_org_edgenet_Interpreter_nativeInputCount(JNIEnv* env, jclass cls, jlong handle) {
  (void)cls;
  enet_interpreter* it = interp_of(env, handle);
  return it ? enet_interpreter_num_inputs(it) : 0;
}

JNIEXPORT jint JNICALL Java_org_edgenet_Interpreter_nativeOutputCount(JNIEnv* env, jclass cls, jlong handle) {
  (void)cls;
  enet_interpreter* it = interp_of(env, handle);
  return it ? enet_interpreter_num_outputs(it) : 0;
}

/* Builds an org.edgenet.Tensor from the C tensor info. */
JNIEXPORT jobject JNICALL Java_org_edgenet_Interpreter_nativeTensor(JNIEnv* env, jclass cls, jlong handle,
                                                                    jboolean input, jint index) {
  (void)cls;
  enet_interpreter* it = interp_of(env, handle);
  if (it == NULL) return NULL;
  enet_tensor_info info;
  memset(&info, 0, sizeof info);
  enet_status status = input ? enet_interpreter_input_info(it, index, &info)
                             : enet_interpreter_output_info(it, index, &info);
  if (status != ENET_OK) {
    char what[64];
    snprintf(what, sizeof what, "Reading %s %d", input ? "input" : "output", (int)index);
    throw_status(env, status, what);
    return NULL;
  }
  if (info.ndim < 0 || info.ndim > ENET_MAX_DIMS || info.num_quant < 0) {
    throw_message(env, g_illegal_state, "edgenet core returned an invalid tensor description");
    return NULL;
  }
  jint shape[ENET_MAX_DIMS];
  for (int d = 0; d < info.ndim; d++) shape[d] = (jint)info.shape[d];

  jobject result = NULL;
  jstring name = new_string(env, info.name);
  jintArray jshape = (*env)->NewIntArray(env, info.ndim);
  jfloatArray scales = (*env)->NewFloatArray(env, info.num_quant);
  jlongArray zero_points = (*env)->NewLongArray(env, info.num_quant);
  if (name && jshape && scales && zero_points) {
    (*env)->SetIntArrayRegion(env, jshape, 0, info.ndim, shape);
    if (info.num_quant > 0) {
      (*env)->SetFloatArrayRegion(env, scales, 0, info.num_quant, info.scale);
      /* int64_t and jlong are both 64-bit two's complement. */
      (*env)->SetLongArrayRegion(env, zero_points, 0, info.num_quant, (const jlong*)info.zero_point);
    }
    result = (*env)->NewObject(env, g_tensor_class, g_tensor_ctor, name, (jint)info.dtype, jshape,
                               (jlong)info.bytes, scales, zero_points, (jint)info.quant_axis);
  }
  (*env)->DeleteLocalRef(env, name);
  (*env)->DeleteLocalRef(env, jshape);
  (*env)->DeleteLocalRef(env, scales);
  (*env)->DeleteLocalRef(env, zero_points);
  return result;
}

JNIEXPORT void JNICALL Java_org_edgenet_Interpreter_nativeResizeInput(JNIEnv* env, jclass cls, jlong handle,
                                                                      jint index, jintArray shape) {
  (void)cls;
  enet_interpreter* it = interp_of(env, handle);
  if (it == NULL) return;
  jsize ndim = (*env)->GetArrayLength(env, shape);
  if (ndim > ENET_MAX_DIMS) {
    throw_message(env, g_illegal_argument, "resizeInput: too many dimensions");
    return;
  }
  jint dims[ENET_MAX_DIMS];
  int64_t dims64[ENET_MAX_DIMS];
  (*env)->GetIntArrayRegion(env, shape, 0, ndim, dims);
  for (int d = 0; d < ndim; d++) dims64[d] = dims[d];
  enet_status status = enet_interpreter_resize_input(it, index, (int)ndim, dims64);
  if (status != ENET_OK) throw_status(env, status, "resizeInput");
}

/* Copies a primitive Java array into input `index`; the core checks the byte count. */
JNIEXPORT void JNICALL Java_org_edgenet_Interpreter_nativeSetInputArray(JNIEnv* env, jclass cls, jlong handle,
                                                                        jint index, jarray array,
                                                                        jint element_size) {
  (void)cls;
  enet_interpreter* it = interp_of(env, handle);
  if (it == NULL) return;
  size_t bytes = (size_t)(*env)->GetArrayLength(env, array) * (size_t)element_size;
  void* data = (*env)->GetPrimitiveArrayCritical(env, array, NULL);
  if (data == NULL) return;
  enet_status status = enet_interpreter_set_input(it, index, data, bytes);
  (*env)->ReleasePrimitiveArrayCritical(env, array, data, JNI_ABORT);
  if (status != ENET_OK) throw_status(env, status, "Setting input");
}

/* Address of [position, position + bytes) inside a direct buffer, or NULL with an exception. */
static void* direct_range(JNIEnv* env, jobject buffer, jint position, jint bytes) {
  char* base = (*env)->GetDirectBufferAddress(env, buffer);
  jlong capacity = (*env)->GetDirectBufferCapacity(env, buffer);
  if (base == NULL || position < 0 || bytes < 0 || (jlong)position + bytes > capacity) {
    throw_message(env, g_illegal_argument, "ByteBuffer is not direct or too small");
    return NULL;
  }
  return base + position;
}

JNIEXPORT void JNICALL Java_org_edgenet_Interpreter_nativeSetInputBuffer(JNIEnv* env, jclass cls, jlong handle,
                                                                         jint index, jobject buffer,
                                                                         jint position, jint bytes) {
  (void)cls;
  enet_interpreter* it = interp_of(env, handle);
  if (it == NULL) return;
  void* data = direct_range(env, buffer, position, bytes);
  if (data == NULL) return;
  enet_status status = enet_interpreter_set_input(it, index, data, (size_t)bytes);
  if (status != ENET_OK) throw_status(env, status, "Setting input");
}

JNIEXPORT void JNICALL Java_org_edgenet_Interpreter_nativeInvoke(JNIEnv* env, jclass cls, jlong handle) {
  (void)cls;
  enet_interpreter* it = interp_of(env, handle);
  if (it == NULL) return;
  enet_status status = enet_interpreter_invoke(it);
  if (status != ENET_OK) throw_status(env, status, "Running the model");
}

JNIEXPORT void JNICALL Java_org_edgenet_Interpreter_nativeResetState(JNIEnv* env, jclass cls, jlong handle) {
  (void)cls;
  enet_interpreter* it = interp_of(env, handle);
  if (it == NULL) return;
  enet_status status = enet_interpreter_reset_state(it);
  if (status != ENET_OK) throw_status(env, status, "resetState");
}

JNIEXPORT void JNICALL Java_org_edgenet_Interpreter_nativeGetOutputArray(JNIEnv* env, jclass cls, jlong handle,
                                                                         jint index, jarray array,
                                                                         jint element_size) {
  (void)cls;
  enet_interpreter* it = interp_of(env, handle);
  if (it == NULL) return;
  size_t bytes = (size_t)(*env)->GetArrayLength(env, array) * (size_t)element_size;
  void* data = (*env)->GetPrimitiveArrayCritical(env, array, NULL);
  if (data == NULL) return;
  enet_status status = enet_interpreter_get_output(it, index, data, bytes);
  /* Mode 0 copies the data back if the VM handed us a copy. */
  (*env)->ReleasePrimitiveArrayCritical(env, array, data, 0);
  if (status != ENET_OK) throw_status(env, status, "Reading output");
}

JNIEXPORT void JNICALL Java_org_edgenet_Interpreter_nativeGetOutputBuffer(JNIEnv* env, jclass cls, jlong handle,
                                                                          jint index, jobject buffer,
                                                                          jint position, jint bytes) {
  (void)cls;
  enet_interpreter* it = interp_of(env, handle);
  if (it == NULL) return;
  void* data = direct_range(env, buffer, position, bytes);
  if (data == NULL) return;
  enet_status status = enet_interpreter_get_output(it, index, data, (size_t)bytes);
  if (status != ENET_OK) throw_status(env, status, "Reading output");
}

JNIEXPORT jlong JNICALL Java_org_edgenet_Interpreter_nativeArenaSize(JNIEnv* env, jclass cls, jlong handle) {
  (void)cls;
  enet_interpreter* it = interp_of(env, handle);
  return it ? (jlong)enet_interpreter_arena_size(it) : 0;
}
