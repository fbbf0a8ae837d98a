package org.anchornet.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonElement;

/** Compares two answers in {@code predict}'s JSON shape. */
public final class JsonAnswers {
    private JsonAnswers() {}

    /**
     * The same answer: every field equal, fractional numbers within {@code 1e-5} (a batch of several images may sum in
     * another order than a batch of one). {@code where} names the field in a failure.
     */
    public static void assertSameAnswer(JsonElement expected, JsonElement actual, String where) {
        if (expected.isJsonObject()) {
            assertEquals(expected.getAsJsonObject().keySet(), actual.getAsJsonObject().keySet(), where);
            for (String k : expected.getAsJsonObject().keySet()) {
                assertSameAnswer(expected.getAsJsonObject().get(k), actual.getAsJsonObject().get(k), where + "." + k);
            }
        } else if (expected.isJsonArray()) {
            assertEquals(expected.getAsJsonArray().size(), actual.getAsJsonArray().size(), where);
            for (int i = 0; i < expected.getAsJsonArray().size(); i++) {
                assertSameAnswer(expected.getAsJsonArray().get(i), actual.getAsJsonArray().get(i), where + "[" + i
                        + "]");
            }
        } else if (expected.isJsonPrimitive() && expected.getAsJsonPrimitive().isNumber()
                && expected.getAsString().contains(".")) {
            assertEquals(expected.getAsDouble(), actual.getAsDouble(), 1e-5, where);
        } else {
            assertEquals(expected, actual, where);
        }
    }
}
