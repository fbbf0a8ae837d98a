package org.anchornet.torchio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the writer emits stays inside what {@code torch.load(weights_only=True)} (the default since torch 2.6)
 * accepts: the opcodes and globals of torch's {@code _weights_only_unpickler} for protocol-2 pickles, as torch 2.x
 * lists them. The scan walks every opcode of the pickles of a checkpoint-like value, an exit table and a state dict.
 */
class WeightsOnlyLoadTest {
    @TempDir Path tmp;

    /** torch 2.x's weights-only unpickler, protocol ≤ 2 (torch/_weights_only_unpickler.py). */
    private static final Set<Integer> ALLOWED_OPCODES = Set.of((int) '(', (int) '.', (int) 'N', (int) 'R',
            (int) 'a', (int) 'b', (int) '}', (int) 'e', (int) ']', (int) 's', (int) 't', (int) ')', (int) 'u',
            (int) 'Q', 0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8f, (int) 'K', (int) 'h', (int) 'q', 0x80, (int) 'M',
            (int) 'J', (int) 'j', (int) 'r', (int) 'G', (int) 'U', 0x8a, (int) 'X', (int) 'c');
    private static final Set<String> ALLOWED_GLOBALS = allowedGlobals();

    private static Set<String> allowedGlobals() {
        Set<String> g = new TreeSet<>(List.of("collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
                "torch._utils._rebuild_parameter", "torch.Size", "torch.Tensor", "torch.device"));
        for (DType d : DType.values()) {
            g.add("torch." + d.storageClass());
        }
        return g;
    }

    /** Walks a protocol-2 pickle; returns the opcodes and globals it uses. */
    static Map<String, Set<String>> scan(byte[] p) {
        Set<String> opcodes = new TreeSet<>();
        Set<String> globals = new TreeSet<>();
        int i = 0;
        while (i < p.length) {
            int op = p[i++] & 0xff;
            opcodes.add(String.format("%c/0x%02x", op < 128 ? (char) op : '?', op));
            switch (op) {
                case 'K', 'h', 'q', 0x80 -> i += 1;
                case 'M' -> i += 2;
                case 'J', 'j', 'r' -> i += 4;
                case 'G' -> i += 8;
                case 'U', 0x8a, 0x8c, 'C' -> i += 1 + (p[i] & 0xff);
                case 'X', 'T', 'B', 0x8b -> i += 4 + (int) le32(p, i);
                case 'c' -> {
                    int end1 = indexOf(p, i);
                    int end2 = indexOf(p, end1 + 1);
                    globals.add(new String(p, i, end1 - i, StandardCharsets.US_ASCII) + "."
                            + new String(p, end1 + 1, end2 - end1 - 1, StandardCharsets.US_ASCII));
                    i = end2 + 1;
                }
                case 'I', 'F', 'L', 'S', 'V', 'p', 'g', 'P' -> i = indexOf(p, i) + 1;
                case 0x95 -> i += 8;
                case '.' -> {
                    return Map.of("opcodes", opcodes, "globals", globals);
                }
                default -> { }
            }
        }
        throw new AssertionError("no STOP opcode");
    }

    private static long le32(byte[] p, int at) {
        return (p[at] & 0xffL) | (p[at + 1] & 0xffL) << 8 | (p[at + 2] & 0xffL) << 16 | (p[at + 3] & 0xffL) << 24;
    }

    private static int indexOf(byte[] p, int from) {
        for (int i = from; i < p.length; i++) {
            if (p[i] == '\n') {
                return i;
            }
        }
        throw new AssertionError("unterminated line");
    }

    private static byte[] pickleOf(Path file) throws IOException {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            return zip.getInputStream(zip.getEntry("archive/data.pkl")).readAllBytes();
        }
    }

    @Test
    void everythingTheWriterEmitsIsAllowedByTheWeightsOnlyLoader() throws Exception {
        Map<String, Object> checkpoint = new LinkedHashMap<>();
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("conv.weight", TorchTensor.ofFloats(new float[] {1, 2, 3, 4}, 2, 2));
        state.put("bn.num_batches_tracked", TorchTensor.ofLongs(new long[] {7}));
        state.put("mask", TorchTensor.ofBooleans(new boolean[] {true, false}, 2));
        checkpoint.put("state_dict", state);
        checkpoint.put("epoch", 3L);
        checkpoint.put("big", 1L << 40);
        checkpoint.put("negative", -5L);
        checkpoint.put("best_acc", 0.625);
        checkpoint.put("finished", true);
        checkpoint.put("nothing", null);
        checkpoint.put("arch", "resnet18");
        checkpoint.put("history", List.of(Map.of("epoch", 1L, "val_top1", 0.5), Map.of("epoch", 2L)));
        checkpoint.put("milestones", List.of());
        checkpoint.put("pair", new Object[] {1L, "two"});
        Path file = tmp.resolve("checkpoint.pth");
        TorchWriter.write(file, checkpoint);
        Map<String, Set<String>> found = scan(pickleOf(file));
        for (String op : found.get("opcodes")) {
            int code = Integer.parseInt(op.substring(op.indexOf("0x") + 2), 16);
            assertTrue(ALLOWED_OPCODES.contains(code), "opcode " + op + " is refused by torch's weights-only loader");
        }
        assertTrue(ALLOWED_GLOBALS.containsAll(found.get("globals")), "globals " + found.get("globals"));
        // and the reader gets back what was written
        Map<String, Object> back = TorchReader.readDict(file);
        assertEquals(0.625, back.get("best_acc"));
        assertEquals(1L << 40, back.get("big"));
        assertEquals(Arrays.asList(1L, "two"), back.get("pair"));
        assertEquals(new ArrayList<>(checkpoint.keySet()), new ArrayList<>(back.keySet()));
    }
}
