package org.anchornet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.BlockList;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.anchornet.torchio.TorchTensor;

/**
 * The one mapping between DJL parameters and PyTorch state-dict keys. A parameter's key is the path of torch names
 * under which its blocks were registered (see {@link TorchModule#register}) plus torch's name for the parameter:
 * DJL's {@code gamma/beta/runningMean/runningVar} are torch's {@code weight/bias/running_mean/running_var}. Batch
 * norms also own torch's {@code num_batches_tracked} buffer, which DJL does not keep; it is read and written here.
 */
public final class StateDictMapper {
    private static final Map<String, String> TORCH_PARAM_NAMES = Map.of(
            "weight", "weight",
            "bias", "bias",
            "gamma", "weight",
            "beta", "bias",
            "runningMean", "running_mean",
            "runningVar", "running_var");
    private static final String TRACKED = "num_batches_tracked";

    private StateDictMapper() {}

    /** Every parameter and running statistic of {@code root}, by torch key, in registration order. */
    public static Map<String, Parameter> parameters(Block root) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect(root, "", out, new ArrayList<>());
        return out;
    }

    /** The keys of torch's {@code num_batches_tracked} buffers (one per batch norm). */
    public static List<String> trackedBatchKeys(Block root) {
        List<String> tracked = new ArrayList<>();
        collect(root, "", new LinkedHashMap<>(), tracked);
        return tracked;
    }

    /** DJL's positional child name ("03conv1") to the torch name it was registered under ("conv1"). */
    static String torchChildName(String djlName, int index) {
        String prefix = String.format("%02d", index + 1);
        if (!djlName.startsWith(prefix)) {
            throw new IllegalStateException("unexpected child name " + djlName + " at position " + index);
        }
        return djlName.substring(prefix.length());
    }

    private static void collect(Block block, String prefix, Map<String, Parameter> out, List<String> tracked) {
        for (Pair<String, Parameter> p : block.getDirectParameters()) {
            String name = TORCH_PARAM_NAMES.get(p.getKey());
            if (name == null) {
                throw new IllegalStateException("no torch name for DJL parameter " + p.getKey() + " at " + prefix);
            }
            out.put(prefix + name, p.getValue());
        }
        if (block instanceof BatchNorm) {
            tracked.add(prefix + TRACKED);
        }
        BlockList children = block.getChildren();
        for (int i = 0; i < children.size(); i++) {
            Pair<String, Block> child = children.get(i);
            collect(child.getValue(), prefix + torchChildName(child.getKey(), i) + ".", out, tracked);
        }
    }

    /**
     * Loads the weights a network is fine-tuned from: every parameter must fit by key and shape, except a classifier
     * of another class count (ImageNet's 1,000 for a tree's 3), which is left as initialized.
     */
    public static long loadFineTuneStart(TorchModule network, Map<String, TorchTensor> stateDict) {
        Map<String, Parameter> params = parameters(network);
        return load(network, stateDict, key -> {
            Parameter p = params.get(key);
            TorchTensor t = stateDict.get(key);
            return network.isHeadParameter(key) && p != null && t != null
                    && !java.util.Arrays.equals(t.shape(), p.getArray().getShape().getShape());
        });
    }

    /**
     * Copies a state dict into an initialized network. Every parameter must be present with its exact shape and no
     * key may be left over, except those {@code skip} accepts (e.g. a classifier being replaced); otherwise nothing
     * is changed and the exception lists the missing, unexpected and mis-shaped keys.
     *
     * @return the largest {@code num_batches_tracked} found (0 if none)
     */
    public static long load(Block root, Map<String, TorchTensor> stateDict, Predicate<String> skip) {
        refuseFoldedInPlace(root, "load weights into");
        Map<String, Parameter> params = parameters(root);
        Set<String> tracked = new LinkedHashSet<>(trackedBatchKeys(root));
        List<String> missing = new ArrayList<>();
        List<String> misshaped = new ArrayList<>();
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            if (skip.test(e.getKey())) {
                continue;
            }
            TorchTensor t = stateDict.get(e.getKey());
            Shape expected = e.getValue().getArray().getShape();
            if (t == null) {
                missing.add(e.getKey() + " " + expected);
            } else if (!Arrays.equals(t.shape(), expected.getShape()) || !t.dtype().isFloatingPoint()) {
                misshaped.add(e.getKey() + " (checkpoint " + t.dtype() + " " + Arrays.toString(t.shape())
                        + ", network " + expected + ")");
            }
        }
        List<String> unexpected = stateDict.keySet().stream()
                .filter(k -> !params.containsKey(k) && !tracked.contains(k) && !skip.test(k))
                .collect(Collectors.toList());
        if (!missing.isEmpty() || !unexpected.isEmpty() || !misshaped.isEmpty()) {
            throw new IncompatibleStateDictException(missing, unexpected, misshaped);
        }
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            TorchTensor t = stateDict.get(e.getKey());
            if (t != null && !skip.test(e.getKey())) {
                e.getValue().getArray().set(t.toFloat32DirectBuffer());
            }
        }
        long batches = 0;
        for (String key : tracked) {
            TorchTensor t = stateDict.get(key);
            if (t != null && t.numel() == 1) {
                batches = Math.max(batches, (long) t.item());
            }
        }
        return batches;
    }

    private static void refuseFoldedInPlace(Block root, String action) {
        if (root instanceof TorchModule module && module.isFoldedInPlace()) {
            throw new IllegalStateException("cannot " + action + " a network whose batch norms were folded into its"
                    + " convolution weights in place for inference; build or load a fresh copy");
        }
    }

    public static long load(Block root, Map<String, TorchTensor> stateDict) {
        return load(root, stateDict, key -> false);
    }

    /** The network's state dict with torch's keys, order and dtypes (float32; int64 batch counters). */
    public static Map<String, TorchTensor> stateDict(Block root, long numBatchesTracked) {
        refuseFoldedInPlace(root, "save");
        Map<String, TorchTensor> out = new LinkedHashMap<>();
        Map<String, Parameter> params = parameters(root);
        Set<String> tracked = new LinkedHashSet<>(trackedBatchKeys(root));
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            NDArray array = e.getValue().getArray();
            if (array.getDataType() != DataType.FLOAT32) {
                throw new IllegalStateException(e.getKey() + " is " + array.getDataType() + ", expected float32");
            }
            out.put(e.getKey(), TorchTensor.fromNDArray(array));
            // torch orders a batch norm's buffers after its parameters: weight, bias, running_mean, running_var, tracked
            if (e.getKey().endsWith(".running_var")) {
                String key = e.getKey().substring(0, e.getKey().length() - "running_var".length()) + TRACKED;
                if (tracked.contains(key)) {
                    out.put(key, TorchTensor.ofLongs(new long[] {numBatchesTracked}));
                }
            }
        }
        return out;
    }

    /** A state dict that does not fit the network; lists every problem. */
    public static final class IncompatibleStateDictException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final List<String> missing;
        private final List<String> unexpected;
        private final List<String> misshaped;

        IncompatibleStateDictException(List<String> missing, List<String> unexpected, List<String> misshaped) {
            super(message(missing, unexpected, misshaped));
            this.missing = List.copyOf(missing);
            this.unexpected = List.copyOf(unexpected);
            this.misshaped = List.copyOf(misshaped);
        }

        public List<String> missing() {
            return missing;
        }

        public List<String> unexpected() {
            return unexpected;
        }

        public List<String> misshaped() {
            return misshaped;
        }

        private static String message(List<String> missing, List<String> unexpected, List<String> misshaped) {
            StringBuilder sb = new StringBuilder("state dict does not match the network:");
            append(sb, "missing", missing);
            append(sb, "unexpected", unexpected);
            append(sb, "mis-shaped", misshaped);
            return sb.toString();
        }

        private static void append(StringBuilder sb, String what, List<String> keys) {
            if (keys.isEmpty()) {
                return;
            }
            sb.append(' ').append(keys.size()).append(' ').append(what).append(" [");
            sb.append(String.join(", ", keys.subList(0, Math.min(8, keys.size()))));
            if (keys.size() > 8) {
                sb.append(", … ").append(keys.size() - 8).append(" more");
            }
            sb.append("];");
        }
    }

}
