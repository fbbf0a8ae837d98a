package org.anchornet.torchio;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns whatever a checkpoint holds into a plain state dict: {@code key → tensor}, in file order. */
public final class StateDicts {
    /** Wrapper keys that training scripts use around the state dict, tried in this order. */
    public static final List<String> WRAPPER_KEYS = List.of("state_dict", "net", "model");

    // torchvision's DenseNet checkpoints before 0.3 used "norm.1" for what is now "norm1" (modules named with dots
    // could not be loaded after PyTorch 0.4); torchvision renames them the same way when loading old weights.
    private static final Pattern OLD_DENSENET_KEY =
            Pattern.compile("^(.*denselayer\\d+\\.(?:norm|relu|conv))\\.([12])\\.(weight|bias|running_mean|running_var)$");

    private StateDicts() {}

    /** Reads a checkpoint and returns its state dict with wrappers, {@code module.} prefixes and old names undone. */
    public static Map<String, TorchTensor> load(Path path) throws TorchFileException {
        Object content = TorchReader.read(path);
        try {
            return normalizeKeys(unwrap(content));
        } catch (IllegalArgumentException e) {
            throw new TorchFileException(path + ": " + e.getMessage(), e);
        }
    }

    /** Finds the state dict inside a checkpoint object (itself, or under state_dict / net / model). */
    public static Map<String, TorchTensor> unwrap(Object content) {
        if (!(content instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("expected a dict of tensors, found "
                    + (content == null ? "None" : content.getClass().getSimpleName()));
        }
        for (String wrapper : WRAPPER_KEYS) {
            if (map.get(wrapper) instanceof Map<?, ?> inner && !inner.isEmpty() && !hasTensors(map)) {
                return unwrap(inner);
            }
        }
        Map<String, TorchTensor> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (e.getValue() instanceof TorchTensor t) {
                out.put(String.valueOf(e.getKey()), t);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no tensors found; top-level keys are " + map.keySet());
        }
        return out;
    }

    /** Strips a {@code module.} prefix (DataParallel) and renames torchvision's old DenseNet keys. */
    public static Map<String, TorchTensor> normalizeKeys(Map<String, TorchTensor> stateDict) {
        boolean allPrefixed = !stateDict.isEmpty() && stateDict.keySet().stream().allMatch(k -> k.startsWith("module."));
        Map<String, TorchTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, TorchTensor> e : stateDict.entrySet()) {
            String key = allPrefixed ? e.getKey().substring("module.".length()) : e.getKey();
            out.put(renameOldDenseNetKey(key), e.getValue());
        }
        return out;
    }

    static String renameOldDenseNetKey(String key) {
        Matcher m = OLD_DENSENET_KEY.matcher(key);
        return m.matches() ? m.group(1) + m.group(2) + "." + m.group(3) : key;
    }

    private static boolean hasTensors(Map<?, ?> map) {
        return map.values().stream().anyMatch(v -> v instanceof TorchTensor);
    }
}
