package org.anchornet.torchio;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;
import net.razorvine.pickle.objects.ByteArrayConstructor;

/**
 * Razorvine's unpickler restricted to what checkpoints hold. Every global (GLOBAL, STACK_GLOBAL, INST) is looked up
 * in an allowlist of data-only constructors; anything else is refused before it is resolved, so no Python callable
 * is ever mapped to Java behaviour. BUILD is limited to dict-like targets instead of reflective __setstate__ calls,
 * dicts keep key order, and length-prefixed opcodes are checked against the bytes left so a hostile length cannot
 * allocate gigabytes.
 */
final class SafeUnpickler extends Unpickler {
    /** Marker for a torch storage class such as {@code torch.FloatStorage}. */
    record StorageType(DType dtype) implements IObjectConstructor {
        @Override
        public Object construct(Object[] args) {
            throw new PickleException("torch." + dtype.storageClass() + " cannot be called directly");
        }
    }

    /** Marker for a Python type that only appears as an argument (torch.Tensor, nn.Parameter). */
    private record TypeMarker(String name) implements IObjectConstructor {
        @Override
        public Object construct(Object[] args) {
            throw new PickleException(name + " cannot be called directly");
        }
    }

    private record NumpyDType(String code) {}

    private static final Map<String, IObjectConstructor> ALLOWED = allowedGlobals();

    private final ByteArrayInputStream source;
    private final Function<Object[], TorchStorage> storageLoader;

    SafeUnpickler(ByteArrayInputStream source, Function<Object[], TorchStorage> storageLoader) {
        this.source = source;
        this.storageLoader = storageLoader;
    }

    Object loadNext() throws IOException {
        return load(source);
    }

    @Override
    protected Object persistentLoad(Object pid) {
        if (!(pid instanceof Object[] parts) || parts.length < 5 || !"storage".equals(parts[0])) {
            throw new PickleException("unsupported persistent id " + describe(pid) + " (expected a torch storage)");
        }
        return storageLoader.apply(parts);
    }

    @Override
    protected Object dispatch(short key) throws PickleException, IOException {
        switch (key) {
            case Opcodes.GLOBAL -> {
                String module = PickleUtils.readline(input);
                String name = PickleUtils.readline(input);
                stack.add(resolve(module, name));
            }
            case Opcodes.STACK_GLOBAL -> {
                Object name = stack.pop();
                Object module = stack.pop();
                stack.add(resolve(String.valueOf(module), String.valueOf(name)));
            }
            case Opcodes.INST -> {
                String module = PickleUtils.readline(input);
                String name = PickleUtils.readline(input);
                IObjectConstructor constructor = resolve(module, name);
                stack.add(constructor.construct(stack.pop_all_since_marker().toArray()));
            }
            case Opcodes.EMPTY_DICT -> stack.add(new LinkedHashMap<>());
            case Opcodes.DICT -> {
                List<Object> items = stack.pop_all_since_marker();
                Map<Object, Object> map = new LinkedHashMap<>();
                for (int i = 0; i + 1 < items.size(); i += 2) {
                    map.put(items.get(i), items.get(i + 1));
                }
                stack.add(map);
            }
            case Opcodes.SETITEMS -> {
                List<Object> items = stack.pop_all_since_marker();
                Map<Object, Object> map = asMap(stack.peek(), "SETITEMS");
                for (int i = 0; i + 1 < items.size(); i += 2) {
                    map.put(items.get(i), items.get(i + 1));
                }
            }
            case Opcodes.BUILD -> {
                stack.pop(); // the state: module metadata of a state dict, numpy dtype flags; not needed
                Object target = stack.peek();
                if (!(target instanceof Map || target instanceof NumpyDType || target instanceof TorchTensor)) {
                    throw new PickleException("refused to set the state of " + describe(target));
                }
            }
            case Opcodes.BINSTRING, Opcodes.BINBYTES, Opcodes.BINUNICODE, Opcodes.LONG4 -> {
                checkLength(4);
                return super.dispatch(key);
            }
            case Opcodes.BINUNICODE8, Opcodes.BINBYTES8, Opcodes.BYTEARRAY8 -> {
                checkLength(8);
                return super.dispatch(key);
            }
            default -> {
                return super.dispatch(key);
            }
        }
        return NO_RETURN_VALUE;
    }

    private void checkLength(int width) {
        source.mark(width);
        byte[] raw = new byte[width];
        int read = source.readNBytes(raw, 0, width);
        source.reset();
        if (read < width) {
            throw new PickleException("truncated pickle: length field cut off");
        }
        ByteBuffer buf = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        long length = width == 4 ? buf.getInt() & 0xffffffffL : buf.getLong();
        if (length < 0 || length > source.available() - width) {
            throw new PickleException("truncated or corrupt pickle: a value claims " + length + " bytes but only "
                    + Math.max(0, source.available() - width) + " remain");
        }
    }

    private static IObjectConstructor resolve(String module, String name) {
        IObjectConstructor constructor = ALLOWED.get(module + "." + name);
        if (constructor == null) {
            throw new UnsafeGlobalException(module + "." + name);
        }
        return constructor;
    }

    /** Thrown for a global outside the allowlist; nothing named by it has been resolved or run. */
    static final class UnsafeGlobalException extends PickleException {
        private static final long serialVersionUID = 1L;
        private final String global;

        UnsafeGlobalException(String global) {
            super("refused to load the Python global '" + global + "': only tensors, storages, OrderedDict and plain"
                    + " values are allowed, and nothing in the file was executed");
            this.global = global;
        }

        String global() {
            return global;
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<Object, Object> asMap(Object target, String opcode) {
        if (!(target instanceof Map)) {
            throw new PickleException(opcode + " applied to " + describe(target) + ", expected a dict");
        }
        return (Map<Object, Object>) target;
    }

    private static String describe(Object o) {
        return o == null ? "None" : o.getClass().getSimpleName();
    }

    private static Map<String, IObjectConstructor> allowedGlobals() {
        Map<String, IObjectConstructor> allowed = new LinkedHashMap<>();
        allowed.put("collections.OrderedDict", args -> {
            Map<Object, Object> map = new LinkedHashMap<>();
            if (args.length == 1 && args[0] instanceof List<?> pairs) {
                for (Object pair : pairs) {
                    Object[] kv = (Object[]) pair;
                    map.put(kv[0], kv[1]);
                }
            }
            return map;
        });
        allowed.put("torch._utils._rebuild_tensor_v2", args -> rebuildTensor(args, 6));
        allowed.put("torch._utils._rebuild_tensor", args -> rebuildTensor(args, 4));
        IObjectConstructor parameter = args -> {
            if (args.length < 1 || !(args[0] instanceof TorchTensor)) {
                throw new PickleException("_rebuild_parameter expects a tensor");
            }
            return args[0];
        };
        allowed.put("torch._utils._rebuild_parameter", parameter);
        allowed.put("torch._utils._rebuild_parameter_with_state", parameter);
        allowed.put("torch._tensor._rebuild_from_type_v2", args -> {
            // (func, new_type, args, state): only our own allowlisted rebuild functions can be func.
            if (args.length < 3 || !(args[0] instanceof IObjectConstructor func) || !(args[2] instanceof Object[] inner)
                    || !(args[1] instanceof TypeMarker)) {
                throw new PickleException("malformed _rebuild_from_type_v2 call");
            }
            return func.construct(inner);
        });
        allowed.put("torch.Tensor", new TypeMarker("torch.Tensor"));
        allowed.put("torch.nn.parameter.Parameter", new TypeMarker("torch.nn.parameter.Parameter"));
        for (DType dtype : DType.values()) {
            allowed.put("torch." + dtype.storageClass(), new StorageType(dtype));
        }
        allowed.put("torch.device", args -> String.valueOf(args.length > 0 ? args[0] : "cpu"));
        // Protocol-2 pickles spell bytes as _codecs.encode(str, 'latin1'); a pure conversion.
        allowed.put("_codecs.encode", new ByteArrayConstructor());
        // Training scripts often save accuracies as numpy scalars.
        allowed.put("numpy.dtype", args -> new NumpyDType(String.valueOf(args[0])));
        IObjectConstructor scalar = SafeUnpickler::numpyScalar;
        allowed.put("numpy.core.multiarray.scalar", scalar);
        allowed.put("numpy._core.multiarray.scalar", scalar);
        return Collections.unmodifiableMap(allowed);
    }

    private static Object rebuildTensor(Object[] args, int expected) {
        if (args.length < expected - 2 || !(args[0] instanceof TorchStorage storage)) {
            throw new PickleException("malformed tensor record (" + args.length + " fields)");
        }
        try {
            return new TorchTensor(storage, ((Number) args[1]).longValue(), longs(args[2]), longs(args[3]));
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new PickleException("malformed tensor record: " + e.getMessage());
        }
    }

    private static long[] longs(Object tuple) {
        Object[] items = (Object[]) tuple;
        long[] out = new long[items.length];
        for (int i = 0; i < items.length; i++) {
            out[i] = ((Number) items[i]).longValue();
        }
        return out;
    }

    private static Object numpyScalar(Object[] args) {
        if (args.length != 2 || !(args[0] instanceof NumpyDType dtype) || !(args[1] instanceof byte[] raw)) {
            throw new PickleException("malformed numpy scalar");
        }
        ByteBuffer buf = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        return switch (dtype.code()) {
            case "f8" -> buf.getDouble();
            case "f4" -> (double) buf.getFloat();
            case "i8" -> buf.getLong();
            case "i4" -> (long) buf.getInt();
            case "b1" -> raw[0] != 0;
            default -> throw new PickleException("unsupported numpy scalar type " + dtype.code());
        };
    }

}
