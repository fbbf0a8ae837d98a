package org.anchornet.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.internal.LazilyParsedNumber;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;

/**
 * JSON read as RFC 8259 says, for files that settings are taken from: no NaN, comments or unquoted names (Gson's
 * strict mode), and no name twice in one object. Gson's tree parser keeps the last of duplicate names without a word,
 * so a file with two {@code "topk"} would load as whichever came last; this reader walks Gson's strict stream itself
 * to refuse that. Numbers keep their literal text, so a caller can tell {@code 2} from {@code 2.5} or {@code 2e0}.
 */
public final class StrictJson {
    /** Nesting deeper than this is no settings file (and would exhaust the stack of a recursive reader). */
    private static final int MAX_DEPTH = 64;

    private StrictJson() {}

    /** Parses one JSON value that fills the text. */
    public static JsonElement parse(String text) {
        try (JsonReader reader = new JsonReader(new StringReader(text))) {
            reader.setStrictness(Strictness.STRICT);
            JsonElement value = read(reader, 0);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new JsonParseException("text after the JSON value at " + reader.getPath());
            }
            return value;
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            throw new JsonParseException(Messages.rootMessage(e), e);
        }
    }

    private static JsonElement read(JsonReader reader, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new JsonParseException("nested deeper than " + MAX_DEPTH + " levels");
        }
        switch (reader.peek()) {
            case BEGIN_OBJECT -> {
                JsonObject object = new JsonObject();
                reader.beginObject();
                while (reader.hasNext()) {
                    String name = reader.nextName();
                    if (object.has(name)) {
                        throw new JsonParseException("the name \"" + name + "\" appears twice in one object ("
                                + reader.getPath() + ")");
                    }
                    object.add(name, read(reader, depth + 1));
                }
                reader.endObject();
                return object;
            }
            case BEGIN_ARRAY -> {
                JsonArray array = new JsonArray();
                reader.beginArray();
                while (reader.hasNext()) {
                    array.add(read(reader, depth + 1));
                }
                reader.endArray();
                return array;
            }
            case STRING -> {
                return new JsonPrimitive(reader.nextString());
            }
            case NUMBER -> {
                return new JsonPrimitive(new LazilyParsedNumber(reader.nextString()));
            }
            case BOOLEAN -> {
                return new JsonPrimitive(reader.nextBoolean());
            }
            case NULL -> {
                reader.nextNull();
                return JsonNull.INSTANCE;
            }
            default -> throw new JsonParseException("unexpected " + reader.peek() + " at " + reader.getPath());
        }
    }

    /** Whether a JSON value is an integer literal (no fraction, no exponent) within [min, max]. */
    public static boolean isInteger(JsonElement value, long min, long max) {
        if (value == null || !value.isJsonPrimitive() || !value.getAsJsonPrimitive().isNumber()) {
            return false;
        }
        String literal = value.getAsJsonPrimitive().getAsString();
        if (!literal.matches("-?[0-9]{1,19}")) {
            return false;
        }
        try {
            long v = Long.parseLong(literal);
            return v >= min && v <= max;
        } catch (NumberFormatException e) {
            return false; // past a long
        }
    }
}
