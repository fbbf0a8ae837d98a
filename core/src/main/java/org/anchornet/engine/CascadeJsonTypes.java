package org.anchornet.engine;

import static org.anchornet.engine.CascadeConfig.require;

import java.util.List;
import org.anchornet.io.StrictJson;

/**
 * The JSON types of a {@code cascade.json}, checked on the parsed tree before Gson binds it to {@link CascadeConfig}:
 * Gson would read {@code "3"} into a number field, truncate {@code 2.9} to 2 and wrap 2^32 + 4 to 4.
 */
final class CascadeJsonTypes {
    private CascadeJsonTypes() {}

    /** Refuses, naming the field, a configuration whose settings disagree with their types rather than coerce it. */
    static void check(com.google.gson.JsonObject json) {
        // integers are integer literals in range: Gson would truncate 2.9 to 2 and wrap 2^32 + 4 to 4
        for (String field : List.of("format_version", "num_classes", "input_size", "eval_resize", "patch_size",
                "stride", "topk", "last_stage")) {
            com.google.gson.JsonElement v = json.get(field);
            if (field.equals("last_stage") && (v == null || v.isJsonNull())) {
                continue; // format 1 has none; check() says whether the format needs it
            }
            require(StrictJson.isInteger(v, Integer.MIN_VALUE, Integer.MAX_VALUE), field,
                    "must be a JSON integer (no fraction, no quotes) within an int, got "
                            + (v == null ? "nothing" : v));
        }
        for (String field : List.of("mean", "std", "iou_thresholds", "thresholds", "stage_costs")) {
            com.google.gson.JsonElement v = json.get(field);
            require(v != null && v.isJsonArray(), field, "must be a JSON array, got " + (v == null ? "nothing" : v));
            for (com.google.gson.JsonElement e : v.getAsJsonArray()) {
                boolean nullable = field.equals("thresholds");
                require((nullable && e.isJsonNull()) || (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()),
                        field, "each must be a JSON number" + (nullable ? " or null" : "") + ", got " + e);
                require(!field.equals("stage_costs") || StrictJson.isInteger(e, 1, Long.MAX_VALUE), field,
                        "each must be a positive JSON integer (multiply-adds), got " + e);
            }
        }
        com.google.gson.JsonElement answer = json.get("answer");
        require(answer == null || answer.isJsonNull() || (answer.isJsonPrimitive()
                && answer.getAsJsonPrimitive().isString()), "answer", "must be a JSON string, got " + answer);
        com.google.gson.JsonElement arch = json.get("arch");
        require(arch != null && arch.isJsonPrimitive() && arch.getAsJsonPrimitive().isString(), "arch",
                "must be a JSON string, got " + arch);
        com.google.gson.JsonElement classes = json.get("classes");
        require(classes != null && classes.isJsonArray(), "classes", "must be a JSON array of names");
        for (com.google.gson.JsonElement e : classes.getAsJsonArray()) {
            require(e.isJsonPrimitive() && e.getAsJsonPrimitive().isString(), "classes", "each must be a JSON"
                    + " string, got " + e);
        }
    }
}
