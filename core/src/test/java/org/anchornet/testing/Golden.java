package org.anchornet.testing;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.anchornet.data.FashionMnist;
import org.anchornet.engine.CascadeConfig;
import org.anchornet.engine.CascadeNetwork;
import org.anchornet.engine.CascadePackage;
import org.anchornet.exits.ExitThresholds;

/**
 * The golden outputs in {@code core/src/test/resources/golden}: eight canvases as an ImageFolder, the cascade that
 * answered them (random weights from fixed seeds and stored thresholds) and its answers, as written by
 * {@code scripts/GoldenOutputs.java} before issue 23's refactors. Every way of running a cascade is held to them.
 */
public final class Golden {
    private final Path root;
    private final JsonObject file;

    private Golden(Path root) throws IOException {
        this.root = root;
        this.file = JsonParser.parseString(Files.readString(root.resolve("predictions.json"),
                StandardCharsets.UTF_8)).getAsJsonObject();
    }

    /** From a module's folder ({@code core} or {@code spark}). */
    public static Golden load() throws IOException {
        Path here = Path.of("src/test/resources/golden");
        return new Golden(Files.isDirectory(here) ? here : Path.of("../core/src/test/resources/golden"));
    }

    public Path images() {
        return root.resolve("images");
    }

    /** The image files in the order of {@link #answers()}. */
    public List<Path> imageFiles() throws IOException {
        try (Stream<Path> walk = Files.walk(images())) {
            return walk.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
    }

    /** The recorded answers, one per image in {@code predict}'s JSON shape; {@code image} is the path under images. */
    public List<JsonObject> answers() {
        List<JsonObject> out = new ArrayList<>();
        for (JsonElement e : file.getAsJsonArray("predictions")) {
            out.add(e.getAsJsonObject());
        }
        return out;
    }

    /** Writes the recorded cascade as a package at {@code target}. */
    public Path writeCascade(Path target) throws IOException {
        JsonObject spec = file.getAsJsonObject("cascade");
        List<Double> thresholds = new ArrayList<>();
        JsonArray stored = spec.getAsJsonArray("thresholds");
        stored.forEach(t -> thresholds.add(t.isJsonNull() ? null : t.getAsDouble()));
        CascadeConfig config = CascadeConfig.builder().arch(spec.get("arch").getAsString())
                .classes(FashionMnist.CLASSES).inputSize(spec.get("input_size").getAsInt())
                .topK(spec.get("topk").getAsInt()).thresholds(ExitThresholds.fromStored(thresholds, null)).build();
        List<Long> seeds = new ArrayList<>();
        spec.getAsJsonArray("seeds").forEach(s -> seeds.add(s.getAsLong()));
        for (CascadeNetwork n : CascadeNetwork.values()) {
            if (seeds.get(n.ordinal()) != n.randomSeed()) {
                throw new IllegalStateException("the golden cascade's seeds " + seeds + " are not writeRandom's");
            }
        }
        CascadePackage.writeRandom(target, config);
        return target;
    }

    /** {@code answer} without its {@code image} field, which each way of running names differently. */
    public static JsonObject withoutImage(JsonObject answer) {
        JsonObject copy = answer.deepCopy();
        copy.remove("image");
        return copy;
    }
}
