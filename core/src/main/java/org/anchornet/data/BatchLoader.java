package org.anchornet.data;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Decodes and transforms images on background threads and hands out ready batches in order, a few ahead of the
 * consumer. Each sample's random transform draws from its own generator seeded by (seed, epoch, index), so batches
 * are identical whatever the thread timing. A bad file is skipped with a warning naming it (or fails the run in strict
 * mode); the wait of the consumer is measured, to show whether loading ever holds training up.
 */
public final class BatchLoader implements AutoCloseable {
    /** Turns a decoded sample into a C×H×W float tensor (plus its size). */
    @FunctionalInterface
    public interface Transform {
        float[] apply(RgbImage image, Random random);
    }

    /** A batch on the Java heap: the transformed images with their labels, ids and dataset indices. */
    public record Batch(ImageBatch images, int[] labels, List<String> ids, int[] indices) {
        public int size() {
            return labels.length;
        }
    }

    /** Loader settings; workers 0 means load on the calling thread. */
    public record Options(int batchSize, int workers, int prefetch, boolean strict, boolean dropLast) {
        public Options {
            if (batchSize < 1 || workers < 0 || prefetch < 1) {
                throw new IllegalArgumentException("batch size and prefetch must be positive, workers ≥ 0");
            }
        }

        public static Options of(int batchSize) {
            return new Options(batchSize, Math.max(1, Runtime.getRuntime().availableProcessors() - 1), 4, false,
                    false);
        }
    }

    private final ImageDataset dataset;
    private final Transform transform;
    private final Options options;
    private final Consumer<String> warnings;
    private final ExecutorService pool;
    private final AtomicInteger skipped = new AtomicInteger();
    private final AtomicLong waitNanos = new AtomicLong();

    public BatchLoader(ImageDataset dataset, Transform transform, Options options, Consumer<String> warnings) {
        this.dataset = dataset;
        this.transform = transform;
        this.options = options;
        this.warnings = warnings;
        AtomicInteger n = new AtomicInteger();
        ThreadFactory daemons = r -> {
            Thread t = new Thread(r, "anchornet-loader-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.pool = options.workers() == 0 ? null : Executors.newFixedThreadPool(options.workers(), daemons);
    }

    /** Files skipped as damaged so far. */
    public int skipped() {
        return skipped.get();
    }

    /** Total time the consumer waited for batches, in seconds. */
    public double waitSeconds() {
        return waitNanos.get() / 1e9;
    }

    /** Batches of one epoch: shuffled by (seed, epoch) when {@code shuffle}, else in dataset order. */
    public Iterable<Batch> epoch(long seed, int epoch, boolean shuffle) {
        int[] order = order(dataset.size(), seed, epoch, shuffle);
        List<int[]> chunks = new ArrayList<>();
        for (int start = 0; start < order.length; start += options.batchSize()) {
            int end = Math.min(order.length, start + options.batchSize());
            if (options.dropLast() && end - start < options.batchSize() && start > 0) {
                break;
            }
            int[] chunk = new int[end - start];
            System.arraycopy(order, start, chunk, 0, chunk.length);
            chunks.add(chunk);
        }
        return () -> new BatchIterator(chunks, seed, epoch);
    }

    public int batchesPerEpoch() {
        int full = dataset.size() / options.batchSize();
        int rest = dataset.size() % options.batchSize();
        return full + (rest > 0 && !(options.dropLast() && full > 0) ? 1 : 0);
    }

    static int[] order(int size, long seed, int epoch, boolean shuffle) {
        int[] order = new int[size];
        for (int i = 0; i < size; i++) {
            order[i] = i;
        }
        if (shuffle) {
            Random random = new Random(seed * 1_000_003L + epoch);
            for (int i = size - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int tmp = order[i];
                order[i] = order[j];
                order[j] = tmp;
            }
        }
        return order;
    }

    private Batch build(int[] indices, long seed, int epoch) {
        List<float[]> tensors = new ArrayList<>(indices.length);
        List<Integer> labels = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        List<Integer> kept = new ArrayList<>();
        for (int index : indices) {
            try {
                ImageDataset.Sample sample = dataset.load(index);
                Random random = new Random(((seed * 31 + epoch) * 1_000_003L) ^ (index * 0x9E3779B97F4A7C15L));
                tensors.add(transform.apply(sample.image(), random));
                labels.add(sample.label());
                ids.add(sample.id());
                kept.add(index);
            } catch (ImageDecoder.BadImageException | Transforms.ImageTooLargeException e) {
                String message = e instanceof Transforms.ImageTooLargeException
                        ? dataset.id(index) + ": " + e.getMessage() : e.getMessage();
                if (options.strict()) {
                    throw new IllegalStateException("bad image (strict mode): " + message, e);
                }
                skipped.incrementAndGet();
                warnings.accept("skipping " + message);
            }
        }
        return new Batch(ImageBatch.pack(tensors), labels.stream().mapToInt(Integer::intValue).toArray(), ids,
                kept.stream().mapToInt(Integer::intValue).toArray());
    }

    private final class BatchIterator implements Iterator<Batch> {
        private final List<int[]> chunks;
        private final long seed;
        private final int epoch;
        private final BlockingQueue<Future<Batch>> ahead;
        private int submitted;
        private int taken;

        BatchIterator(List<int[]> chunks, long seed, int epoch) {
            this.chunks = chunks;
            this.seed = seed;
            this.epoch = epoch;
            this.ahead = new ArrayBlockingQueue<>(options.prefetch() + 1);
            fill();
        }

        private void fill() {
            while (pool != null && submitted < chunks.size() && ahead.size() < options.prefetch()) {
                int[] chunk = chunks.get(submitted++);
                ahead.add(pool.submit(() -> build(chunk, seed, epoch)));
            }
        }

        @Override
        public boolean hasNext() {
            return taken < chunks.size();
        }

        @Override
        public Batch next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            long start = System.nanoTime();
            Batch batch;
            if (pool == null) {
                batch = build(chunks.get(taken), seed, epoch);
            } else {
                try {
                    batch = ahead.take().get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while loading", e);
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable cause = e.getCause();
                    throw cause instanceof RuntimeException r ? r : new IllegalStateException(cause.getMessage(), cause);
                }
            }
            waitNanos.addAndGet(System.nanoTime() - start);
            taken++;
            fill();
            return batch;
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
