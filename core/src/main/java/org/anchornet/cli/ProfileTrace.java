package org.anchornet.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The operators of a PyTorch profiler trace (Chrome trace format, as libtorch writes it) ranked by time. Only
 * outermost operators count, so that {@code aten::conv2d} and the {@code aten::mkldnn_convolution} inside it are not
 * counted twice; an operator is named with its first two input shapes, which tell one layer from another. Written
 * here because DJL hands back only the trace file and libtorch's own table is printed only from Python.
 */
final class ProfileTrace {
    /** One operator and input shapes: calls and total microseconds. */
    record Row(String op, long calls, double micros) {}

    private ProfileTrace() {}

    static List<Row> rank(Path trace) throws IOException {
        JsonElement root = JsonParser.parseString(Files.readString(trace));
        JsonArray events = root.isJsonObject() ? root.getAsJsonObject().getAsJsonArray("traceEvents")
                : root.getAsJsonArray();
        List<JsonObject> ops = new ArrayList<>();
        for (JsonElement e : events) {
            JsonObject o = e.getAsJsonObject();
            if (o.has("ph") && o.get("ph").getAsString().equals("X") && o.has("dur")) {
                ops.add(o);
            }
        }
        ops.sort(Comparator.comparingDouble((JsonObject o) -> o.get("ts").getAsDouble())
                .thenComparing(o -> -o.get("dur").getAsDouble()));
        Map<String, double[]> rows = new LinkedHashMap<>();
        Map<String, Double> openUntil = new LinkedHashMap<>(); // per thread: end of the outermost operator
        for (JsonObject o : ops) {
            String thread = o.has("tid") ? o.get("tid").getAsString() : "";
            double start = o.get("ts").getAsDouble();
            double end = start + o.get("dur").getAsDouble();
            if (start < openUntil.getOrDefault(thread, Double.NEGATIVE_INFINITY)) {
                continue; // inside an operator already counted
            }
            openUntil.put(thread, end);
            String key = o.get("name").getAsString() + shapes(o);
            double[] r = rows.computeIfAbsent(key, k -> new double[2]);
            r[0]++;
            r[1] += end - start;
        }
        List<Row> out = new ArrayList<>();
        rows.forEach((k, v) -> out.add(new Row(k, (long) v[0], v[1])));
        out.sort(Comparator.comparingDouble(Row::micros).reversed());
        return out;
    }

    private static String shapes(JsonObject o) {
        JsonElement s = o.has("shape") ? o.get("shape") : o.has("args") && o.getAsJsonObject("args").has(
                "Input Dims") ? o.getAsJsonObject("args").get("Input Dims") : null;
        if (s == null || !s.isJsonArray()) {
            return "";
        }
        JsonArray a = s.getAsJsonArray();
        List<String> first = new ArrayList<>();
        for (int i = 0; i < Math.min(2, a.size()); i++) {
            if (a.get(i).isJsonArray() && !a.get(i).getAsJsonArray().isEmpty()) {
                first.add(a.get(i).toString());
            }
        }
        return first.isEmpty() ? "" : " " + String.join(" ", first);
    }

    /** The top {@code limit} rows with their share of the outermost operators' time, per profiled pass. */
    static void print(List<Row> rows, int passes, int limit, PrintWriter out) {
        double total = rows.stream().mapToDouble(Row::micros).sum();
        out.printf(Locale.ROOT, "profiled operators: %.1f ms per pass over %d passes; the %d slowest (ms per pass,"
                + " share, calls per pass):%n", total / 1e3 / passes, passes, Math.min(limit, rows.size()));
        for (Row r : rows.subList(0, Math.min(limit, rows.size()))) {
            out.printf(Locale.ROOT, "%8.2f ms  %5.1f%%  %4d  %s%n", r.micros() / 1e3 / passes, 100 * r.micros() / total,
                    r.calls() / passes, r.op());
        }
    }
}
