package org.anchornet.engine;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.ToNumberPolicy;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.anchornet.io.Messages;
import org.anchornet.io.StrictJson;
import org.anchornet.io.AtomicFiles;
import org.anchornet.model.Architectures;
import org.anchornet.model.StateDictMapper;
import org.anchornet.torchio.StateDicts;
import org.anchornet.torchio.TorchReader;
import org.anchornet.torchio.TorchWriter;

/**
 * A trained cascade on disk: a folder holding {@code cascade.json} and three state dicts in torch keys
 * ({@code anchornet.pth}, {@code glance.pth}, {@code patch.pth}), or the same four files in one {@code .zip}. Reading
 * checks the configuration field by field and every weight file against its SHA-256; a zip is unpacked into a private
 * temporary folder that lives until {@link #close}. Writing is atomic: a folder is written beside the target and
 * renamed into place, a zip through a temporary file.
 */
public final class CascadePackage implements AutoCloseable {
    /** The configuration file's name inside a package. */
    public static final String CONFIG_FILE = "cascade.json";
    /** Largest file a zip package may unpack to: no network here comes near it, a zip bomb would. */
    private static final long MAX_ENTRY_BYTES = 4L << 30;
    /** Largest {@code cascade.json}: a real one is a few kilobytes. */
    static final long MAX_CONFIG_BYTES = 1L << 20;
    // whole numbers in provenance maps read back as whole numbers, so a package written again is the same text
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping()
            .setObjectToNumberStrategy(ToNumberPolicy.LONG_OR_DOUBLE).create();


    // Zips are unpacked into temporary folders deleted on close; a Spark executor keeps its cascade for the JVM's life
    // and never closes it, so what is still unpacked at exit is removed by one shutdown hook.
    private static final Set<Path> UNPACKED = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Path folder : UNPACKED) {
                try {
                    AtomicFiles.deleteTree(folder);
                } catch (IOException ignored) {
                    // the JVM is exiting; a folder that cannot be deleted now stays in the temporary directory
                }
            }
        }, "anchornet-unpacked-cascades"));
    }

    private final Path source;
    private final Path folder;
    private final CascadeConfig config;
    private final boolean temporary;

    private CascadePackage(Path source, Path folder, CascadeConfig config, boolean temporary) {
        this.source = source;
        this.folder = folder;
        this.config = config;
        this.temporary = temporary;
    }

    /** Whether a path looks like a package: a folder with {@code cascade.json}, or a {@code .zip}. */
    public static boolean isPackage(Path path) {
        return Files.isRegularFile(path.resolve(CONFIG_FILE)) || (Files.isRegularFile(path)
                && path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".zip"));
    }

    /** Reads and checks a package folder or zip; every problem is one message naming the file or field. */
    public static CascadePackage read(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            return new CascadePackage(path, path, verified(path, path), false);
        }
        if (!Files.isRegularFile(path)) {
            throw new CascadeFormatException(path + ": no such cascade package (a folder with " + CONFIG_FILE
                    + " or a .zip of one)");
        }
        Path temp = Files.createTempDirectory("anchornet-cascade-");
        UNPACKED.add(temp);
        try {
            unzip(path, temp);
            return new CascadePackage(path, temp, verified(path, temp), true);
        } catch (IOException | RuntimeException e) {
            AtomicFiles.deleteTree(temp);
            UNPACKED.remove(temp);
            throw e;
        }
    }

    /** What a checkpoint says about its own training, for a package's provenance (nothing for a plain state dict). */
    public static CascadeConfig.NetworkProvenance provenance(Path checkpoint) throws IOException {
        Object content = TorchReader.read(checkpoint);
        Map<String, Object> training = new LinkedHashMap<>();
        Long seed = null;
        if (content instanceof Map<?, ?> m) {
            if (m.get("config") instanceof Map<?, ?> config) {
                config.forEach((k, v) -> training.put(String.valueOf(k), v));
            }
            if (m.get("seed") instanceof Number n) {
                seed = n.longValue();
            }
        }
        return new CascadeConfig.NetworkProvenance(checkpoint.toString(), seed, training);
    }

    public CascadeConfig config() {
        return config;
    }

    /** Where the package was read from. */
    public Path source() {
        return source;
    }

    /** A network's weight file (a plain state dict in torch keys), verified against its hash. */
    public Path weights(CascadeNetwork network) {
        return folder.resolve(network.fileName());
    }

    /** The weight files, for writing another package with the same networks. */
    public Map<CascadeNetwork, Path> weightFiles() {
        Map<CascadeNetwork, Path> out = new EnumMap<>(CascadeNetwork.class);
        for (CascadeNetwork n : CascadeNetwork.values()) {
            out.put(n, weights(n));
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        if (temporary) {
            AtomicFiles.deleteTree(folder);
            UNPACKED.remove(folder);
        }
    }

    /**
     * Writes a package: each network's checkpoint or state dict (wrappers and {@code module.} prefixes undone) as a
     * plain state dict, and the configuration with the files' SHA-256. A target ending in {@code .zip} gets a zip;
     * anything else a folder, which replaces only an earlier package.
     */
    public static void write(Path target, CascadeConfig config, Map<CascadeNetwork, Path> checkpoints)
            throws IOException {
        for (CascadeNetwork n : CascadeNetwork.values()) {
            if (!checkpoints.containsKey(n)) {
                throw new IllegalArgumentException("a cascade package needs the " + n.key() + " network's weights");
            }
        }
        writeFiles(target, config, checkpoints, false);
    }

    /**
     * Writes a package of networks with PyTorch's default initialization from fixed seeds
     * ({@link CascadeNetwork#randomSeed}), the weights {@link Cascade#withRandomWeights} times: for benchmarks, tests
     * and the golden outputs, never for answers.
     */
    public static void writeRandom(Path target, CascadeConfig config) throws IOException {
        Path temp = Files.createTempDirectory("anchornet-random-");
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<CascadeNetwork, Path> files = new EnumMap<>(CascadeNetwork.class);
            for (CascadeNetwork n : CascadeNetwork.values()) {
                String arch = n == CascadeNetwork.ANCHORNET ? Architectures.ANCHORNET : config.arch();
                Path file = temp.resolve(n.fileName());
                TorchWriter.write(file, StateDictMapper.stateDict(Architectures.get(arch).create(manager,
                        config.numClasses(), n.randomSeed()), 0));
                files.put(n, file);
            }
            write(target, config, files);
        } finally {
            AtomicFiles.deleteTree(temp);
        }
    }

    /** Writes a package with another configuration and this package's weight files, copied byte for byte. */
    public void copyTo(Path target, CascadeConfig newConfig) throws IOException {
        writeFiles(target, newConfig, weightFiles(), true);
    }

    private static void writeFiles(Path target, CascadeConfig config, Map<CascadeNetwork, Path> sources,
            boolean verbatim) throws IOException {
        AtomicFiles.FolderWriter fill = folder -> {
            Map<String, CascadeConfig.WeightFile> files = new LinkedHashMap<>();
            for (CascadeNetwork n : CascadeNetwork.values()) {
                Path file = folder.resolve(n.fileName());
                if (verbatim) {
                    Files.copy(sources.get(n), file);
                } else {
                    TorchWriter.write(file, new LinkedHashMap<>(StateDicts.load(sources.get(n))));
                }
                files.put(n.key(), new CascadeConfig.WeightFile(n.fileName(), sha256(file)));
            }
            CascadeConfig saved = config.withWeights(files).check();
            Files.writeString(folder.resolve(CONFIG_FILE), GSON.toJson(saved) + "\n", StandardCharsets.UTF_8);
        };
        if (target.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".zip")) {
            Path temp = AtomicFiles.tempFolderBeside(target); // beside, so a killed write's is cleaned up later
            try {
                fill.writeInto(temp);
                AtomicFiles.write(target, out -> zip(temp, out));
            } finally {
                AtomicFiles.deleteTree(temp);
            }
        } else {
            AtomicFiles.writeFolder(target, fill, existing -> Files.isRegularFile(existing.resolve(CONFIG_FILE))
                    || isEmptyFolder(existing));
        }
    }

    /** The configuration as {@code cascade.json} holds it. */
    public static String toJson(CascadeConfig config) {
        return GSON.toJson(config);
    }

    private static CascadeConfig verified(Path shownAs, Path folder) throws IOException {
        Path json = folder.resolve(CONFIG_FILE);
        String where = Files.isDirectory(shownAs) ? json.toString() : shownAs + "!" + CONFIG_FILE;
        if (!Files.isRegularFile(json)) {
            throw new CascadeFormatException(where + ": missing (a cascade package holds " + CONFIG_FILE + ", "
                    + "anchornet.pth, glance.pth and patch.pth)");
        }
        if (Files.size(json) > MAX_CONFIG_BYTES) {
            throw new CascadeFormatException(where + ": " + Files.size(json) + " bytes, more than the "
                    + MAX_CONFIG_BYTES + " a cascade configuration may have");
        }
        CascadeConfig config;
        try {
            String text;
            try {
                text = Files.readString(json, StandardCharsets.UTF_8);
            } catch (java.nio.charset.CharacterCodingException e) {
                throw new CascadeFormatException(where + ": not UTF-8 text (JSON files are UTF-8; was it saved as"
                        + " UTF-16 or another encoding?)", e);
            }
            com.google.gson.JsonElement tree = StrictJson.parse(text.startsWith("\uFEFF") ? text.substring(1) : text);
            if (!tree.isJsonObject()) {
                throw new CascadeFormatException(where + ": not a JSON object");
            }
            CascadeJsonTypes.check(tree.getAsJsonObject());
            config = GSON.fromJson(tree, CascadeConfig.class);
            if (config == null) {
                throw new CascadeFormatException(where + ": empty");
            }
            config.check();
        } catch (JsonParseException | NumberFormatException e) {
            throw new CascadeFormatException(where + ": not valid cascade JSON (" + Messages.rootMessage(e) + ")", e);
        } catch (IllegalArgumentException e) {
            throw new CascadeFormatException(where + ": " + e.getMessage(), e);
        }
        for (CascadeNetwork n : CascadeNetwork.values()) {
            Path file = folder.resolve(n.fileName());
            String shown = Files.isDirectory(shownAs) ? file.toString() : shownAs + "!" + n.fileName();
            if (!Files.isRegularFile(file)) {
                throw new CascadeFormatException(shown + ": missing (listed in " + CONFIG_FILE + ")");
            }
            String expected = config.weights().get(n.key()).sha256();
            String actual = sha256(file);
            if (!actual.equals(expected)) {
                throw new CascadeFormatException(shown + ": SHA-256 " + actual + " does not match " + expected
                        + " in " + CONFIG_FILE + " (the file was changed or damaged)");
            }
        }
        return config;
    }

    /** SHA-256 of a file, hex. */
    public static String sha256(Path file) throws IOException {
        MessageDigest digest = sha256Digest();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** SHA-256 of a text's UTF-8 bytes, hex. */
    public static String sha256(String text) {
        return HexFormat.of().formatHex(sha256Digest().digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM lacks SHA-256", e);
        }
    }

    private static boolean isEmptyFolder(Path path) {
        try (var list = Files.list(path)) {
            return Files.isDirectory(path) && list.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    private static void zip(Path folder, OutputStream out) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(out);
        // Float weights barely deflate (7% for a ResNet-18 cascade) at ten times the time of storing them (3 s against
        // 0.3 s for 90 MB), and a Spark job zips the package before every run.
        zip.setLevel(java.util.zip.Deflater.NO_COMPRESSION);
        for (String name : fileNames()) {
            zip.putNextEntry(new ZipEntry(name));
            Files.copy(folder.resolve(name), zip);
            zip.closeEntry();
        }
        zip.finish();
    }

    private static java.util.List<String> fileNames() {
        java.util.List<String> names = new java.util.ArrayList<>();
        names.add(CONFIG_FILE);
        for (CascadeNetwork n : CascadeNetwork.values()) {
            names.add(n.fileName());
        }
        return names;
    }

    /**
     * Unpacks the package's four files, at the zip's root or under one folder; nothing else is written, so entry
     * names cannot escape the folder, and each file is bounded in size.
     */
    private static void unzip(Path zipFile, Path into) throws IOException {
        java.util.Set<String> wanted = new java.util.HashSet<>(fileNames());
        java.util.Set<String> seen = new java.util.HashSet<>();
        // the central directory declares every entry's size, so an oversized one is refused before it is inflated
        try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(zipFile.toFile())) {
            for (ZipEntry entry : java.util.Collections.list(zip.entries())) {
                String name = entry.getName();
                String base = name.substring(name.lastIndexOf('/') + 1);
                if (entry.isDirectory() || !wanted.contains(base) || name.chars().filter(c -> c == '/').count() > 1) {
                    continue;
                }
                if (!seen.add(base)) {
                    throw new CascadeFormatException(zipFile + ": holds " + base + " twice");
                }
                long limit = base.equals(CONFIG_FILE) ? MAX_CONFIG_BYTES : MAX_ENTRY_BYTES;
                if (entry.getSize() > limit) {
                    throw new CascadeFormatException(zipFile + "!" + base + ": declares " + entry.getSize()
                            + " bytes unpacked, more than the " + limit + " allowed");
                }
                try (InputStream in = zip.getInputStream(entry); OutputStream out = Files.newOutputStream(
                        into.resolve(base))) {
                    long copied = 0;
                    byte[] buffer = new byte[1 << 16];
                    int read;
                    while ((read = in.read(buffer)) > 0) {
                        copied += read; // the declared size may lie
                        if (copied > limit) {
                            throw new CascadeFormatException(zipFile + "!" + base + ": larger than " + limit
                                    + " bytes unpacked");
                        }
                        out.write(buffer, 0, read);
                    }
                }
            }
        } catch (java.util.zip.ZipException e) {
            throw new CascadeFormatException(zipFile + ": not a readable zip (" + e.getMessage() + ")", e);
        }
    }
}
