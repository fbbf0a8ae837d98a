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
 * A training checkpoint as a {@code .pth} that {@code torch.load} reads: {@code state_dict} (torch keys, the weights
 * after the last epoch), {@code best_state_dict} (the best weights so far, so the checkpoint alone says what is best),
 * {@code optimizer.momentum_buffer}, the {@link RunState} fields ({@code epoch}, {@code best_acc}, {@code best_epoch},
 * {@code history}, …), {@code arch}, {@code seed} and the resolved {@code config}. Written atomically.
 *
 * @param state where the run stands
 * @param best the best weights so far (torch keys); null in a checkpoint of an earlier version, which lacks them
 */
public record Checkpoint(RunState state, Map<String, TorchTensor> best, String arch, long seed,
        Map<String, Object> config) {
    /** A checkpoint folder's best weights, beside {@code checkpoint.pth}. */
    public static final String BEST_FILE = "best.pth";
    /** A checkpoint folder's per-epoch log ({@link EpochResult#readLog}). */
    public static final String LOG_FILE = "train_log.csv";

    public static void save(Path path, TorchModule network, TorchSgd optimizer, Checkpoint meta) throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("state_dict", StateDictMapper.stateDict(network, meta.state().steps()));
        out.put("best_state_dict", new LinkedHashMap<>(meta.best()));
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
        out.putAll(meta.state().toMap());
        out.put("arch", meta.arch());
        out.put("seed", meta.seed());
        out.put("config", new LinkedHashMap<>(meta.config()));
        TorchWriter.write(path, out);
    }

    /** The best weights alone, as {@code best.pth}: a state dict with the epoch it comes from. */
    public static void saveBest(Path path, Checkpoint meta) throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("state_dict", new LinkedHashMap<>(meta.best()));
        out.put("epoch", (long) meta.state().bestEpoch());
        out.put("best_acc", meta.state().bestTop1());
        out.put("arch", meta.arch());
        out.put("seed", meta.seed());
        out.put("config", new LinkedHashMap<>(meta.config()));
        TorchWriter.write(path, out);
    }

    /** The epoch a {@code best.pth} comes from, or −1 when it is missing, unreadable or not one. */
    public static int bestEpochOf(Path bestFile) {
        try {
            return TorchReader.readDict(bestFile).get("epoch") instanceof Number n ? n.intValue() : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    /** Restores weights and momentum into a network and optimizer; returns the checkpoint's bookkeeping. */
    public static Checkpoint restore(Path path, TorchModule network, TorchSgd optimizer, NDManager manager,
            TrainingSettings settings) throws IOException {
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
            // checkpoints of earlier versions hold no best weights; the folder then takes best.pth's
            Map<String, TorchTensor> best = in.get("best_state_dict") instanceof Map<?, ?> b
                    ? StateDicts.unwrap(b) : null;
            @SuppressWarnings("unchecked")
            Map<String, Object> config = in.get("config") instanceof Map<?, ?> c ? (Map<String, Object>) c : Map.of();
            return new Checkpoint(RunState.fromMap(in, settings), best, String.valueOf(in.get("arch")),
                    in.get("seed") instanceof Number s ? s.longValue() : 0L, config);
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new TorchFileException(path + ": not a training checkpoint (" + e.getMessage() + ")", e);
        }
    }
}
