package org.edgenet;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import org.edgenet.testing.TestData;
import org.junit.Test;

/**
 * Ed25519 signatures made by the Python package (edgenet/integrity.py, at test-data time) are
 * checked by the JDK before loading: the signed file loads and gives the expected outputs; a
 * changed byte, another key or a damaged signature is refused with SecurityException.
 */
public class ModelSignatureTest {
  private static PublicKey key(String manifestKey) {
    return ModelSignature.publicKeyFromPem(new String(TestData.file(manifestKey), StandardCharsets.US_ASCII));
  }

  @Test
  public void signedModelLoadsAndRuns() throws Exception {
    String testCase = TestData.get("signing.case");
    byte[] model = TestData.modelBytes(testCase);
    byte[] signature = TestData.file("signing.signature");
    String in = TestData.inputs(testCase)[0];
    String out = TestData.outputs(testCase)[0];
    try (Model m = Model.fromBytes(model, key("signing.public_key"), signature);
        Interpreter it = new Interpreter(m)) {
      Map<String, Object> outputs = it.run(Collections.singletonMap(in, TestData.input(testCase, in, 0)));
      assertArrayEquals((float[]) TestData.expected(testCase, out, 0), (float[]) outputs.get(out), 0f);
    }
  }

  @Test
  public void tamperedModelWrongKeyAndBadSignatureAreRefused() throws Exception {
    byte[] model = TestData.modelBytes(TestData.get("signing.case"));
    byte[] signature = TestData.file("signing.signature");
    PublicKey key = key("signing.public_key");
    for (int position : new int[] {0, 100, model.length / 2, model.length - 20, model.length - 1}) {
      byte[] tampered = model.clone();
      tampered[position] ^= 1;
      SecurityException e =
          assertThrows(SecurityException.class, () -> Model.fromBytes(tampered, key, signature));
      assertTrue(e.getMessage(), e.getMessage().contains("signature verification failed"));
    }
    assertThrows(SecurityException.class, () -> Model.fromBytes(model, key("signing.other_public_key"), signature));
    byte[] flipped = signature.clone();
    flipped[10] ^= 1;
    assertThrows(SecurityException.class, () -> Model.fromBytes(model, key, flipped));
    SecurityException shortSig = assertThrows(
        SecurityException.class, () -> Model.fromBytes(model, key, Arrays.copyOf(signature, 63)));
    assertTrue(shortSig.getMessage(), shortSig.getMessage().contains("63 bytes"));
  }

  @Test
  public void badPublicKeysRaiseIllegalArgument() {
    assertThrows(IllegalArgumentException.class, () -> ModelSignature.publicKeyFromPem("no key here"));
    assertThrows(IllegalArgumentException.class,
        () -> ModelSignature.publicKeyFromPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"));
    assertThrows(IllegalArgumentException.class,
        () -> ModelSignature.publicKeyFromPem("-----BEGIN PUBLIC KEY-----\nA$A=\n-----END PUBLIC KEY-----\n"));
  }

  @Test
  public void base64DecoderMatchesKnownVectors() {
    assertArrayEquals(new byte[0], ModelSignature.decodeBase64(""));
    assertEquals("f", new String(ModelSignature.decodeBase64("Zg=="), StandardCharsets.US_ASCII));
    assertEquals("fo", new String(ModelSignature.decodeBase64("Zm8="), StandardCharsets.US_ASCII));
    assertEquals("foobar", new String(ModelSignature.decodeBase64("Zm9vYmFy"), StandardCharsets.US_ASCII));
  }
}
