package org.anchornet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.anchornet.model.StateDictMapper;
import org.anchornet.model.TorchModule;
import org.anchornet.torchio.StateDicts;
import org.anchornet.torchio.TorchFileException;
import org.anchornet.torchio.TorchReader;
import org.anchornet.torchio.TorchTensor;
import org.anchornet.torchio.TorchWriter;

/**
 * A training checkpoint as a {@code .pth} that {@code torch.load} reads: {@code state_dict} (torch keys),
 * {@code optimizer.momentum_buffer} (by the same keys), {@code epoch} (epochs finished), {@code best_acc},
 * {@code arch}, {@code seed}, {@code steps} and the resolved {@code config}. Written atomically.
 */
public record Checkpoint(int epochsDone, double bestAccuracy, long steps, String arch, long seed,
        Map<String, Object> config) {

    public static void save(Path path, TorchModule network, TorchSgd optimizer, Checkpoint meta) throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("state_dict", StateDictMapper.stateDict(network, meta.steps()));
        Map<String, TorchTensor> momentum = new LinkedHashMap<>();
        Map<String, NDArray> buffers = optimizer.momentumBuffers();
        StateDictMapper.parameters(network).forEach((key, param) -> {
            NDArray buffer = buffers.get(param.getId());
            if (buffer != null) {
                momentum.put(key, TorchTensor.fromNDArray(buffer));
            }
        });
        Map<String, Object> opt = new LinkedHashMap<>();
        opt.put("momentum_buffer", momentum);
        opt.put("lr", (double) optimizer.learningRate());
        out.put("optimizer", opt);
        out.put("epoch", (long) meta.epochsDone());
        out.put("best_acc", meta.bestAccuracy());
        out.put("steps", meta.steps());
        out.put("arch", meta.arch());
        out.put("seed", meta.seed());
        out.put("config", new LinkedHashMap<>(meta.config()));
        TorchWriter.write(path, out);
    }

    /** Restores weights and momentum into a network and optimizer; returns the checkpoint's bookkeeping. */
    @SuppressWarnings("unchecked")
    public static Checkpoint restore(Path path, TorchModule network, TorchSgd optimizer, NDManager manager)
            throws IOException {
        Map<String, Object> in = TorchReader.readDict(path);
        Map<String, TorchTensor> state = StateDicts.unwrap(in);
        StateDictMapper.load(network, StateDicts.normalizeKeys(state));
        Map<String, Parameter> params = StateDictMapper.parameters(network);
        if (in.get("optimizer") instanceof Map<?, ?> opt && opt.get("momentum_buffer") instanceof Map<?, ?> buffers) {
            for (Map.Entry<?, ?> e : buffers.entrySet()) {
                Parameter p = params.get(String.valueOf(e.getKey()));
                if (p == null || !(e.getValue() instanceof TorchTensor t)) {
                    throw new TorchFileException(path + ": momentum for unknown parameter " + e.getKey());
                }
                NDArray buffer = t.toNDArray(manager);
                buffer.detach();
                optimizer.setMomentumBuffer(p.getId(), buffer);
            }
        }
        try {
            return new Checkpoint(((Number) in.get("epoch")).intValue(), ((Number) in.get("best_acc")).doubleValue(),
                    in.get("steps") instanceof Number n ? n.longValue() : 0L, String.valueOf(in.get("arch")),
                    in.get("seed") instanceof Number s ? s.longValue() : 0L,
                    in.get("config") instanceof Map<?, ?> c ? (Map<String, Object>) c : Map.of());
        } catch (NullPointerException | ClassCastException e) {
            throw new TorchFileException(path + ": not a training checkpoint (needs epoch and best_acc)", e);
        }
    }
}
