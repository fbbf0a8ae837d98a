package org.anchornet.serve;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.anchornet.data.ImageBatch;
import org.anchornet.engine.Cascade;
import org.anchornet.engine.Flight;
import org.anchornet.engine.Prediction;
import org.anchornet.engine.StageTimes;
import org.anchornet.model.TorchModule;

/**
 * Early exit across concurrent requests. Requests queue (bounded); one worker thread takes the waiting images
 * together (up to {@code maxBatch}, waiting at most {@code maxWait} for more once one is there) and runs the glance
 * on them; each image that passes its threshold is answered at once, and the survivors wait at their next stage,
 * where they join the survivors of other requests, so later stages run on batches gathered across requests. A later
 * stage runs when it has a full batch, when its oldest image has waited {@code stageWait}, or when no request is
 * queued; all due later stages share one pass of the patch network. With no request queued, that pass also computes
 * each image's next {@code runAhead − 1} windows (no more than a full batch in all), so that a lone request needs
 * fewer passes; under load passes stay one window per image.
 *
 * <p>Serving the full-resolution network instead ({@link #fullNetwork}) keeps the same queue and batching with a
 * single stage, for side-by-side load measurements.
 */
public final class RequestBatcher implements AutoCloseable {
    /**
     * Batching and queueing limits.
     *
     * @param maxWaitMillis how long new arrivals wait for a fuller glance batch
     * @param stageWaitMillis how long survivors wait at a later stage for a fuller batch while requests keep arriving
     *     (they run at once when none does)
     * @param runAhead windows per image in a pass of the patch network while no request is queued (1: only the
     *     stage's own, except that a lone image always takes its next window, which costs nothing extra)
     */
    public record Options(int maxBatch, long maxWaitMillis, int queueCapacity, long stageWaitMillis, int runAhead) {
        public Options {
            if (maxBatch < 1 || maxWaitMillis < 0 || queueCapacity < 1 || stageWaitMillis < 0 || runAhead < 1) {
                throw new IllegalArgumentException("max batch, queue capacity and run-ahead must be positive, the"
                        + " waits not negative");
            }
        }

        /** Later stages wait as long as the glance; no run-ahead beyond a lone image's free window. */
        public Options(int maxBatch, long maxWaitMillis, int queueCapacity) {
            this(maxBatch, maxWaitMillis, queueCapacity, maxWaitMillis, 1);
        }
    }

    /** The queue is full: the caller should answer 503 and ask the client to retry. */
    public static final class OverloadedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        OverloadedException(int capacity) {
            super("the server is at capacity (" + capacity + " images queued); retry shortly");
        }
    }

    /** What the batcher reports as it works (metrics). */
    public interface Listener {
        void batch(int stage, int images);

        void exited(int stage);

        /**
         * The patch network ran once on this many windows: the later stages' images together, with any windows
         * computed ahead.
         */
        default void patchPass(int windows) {}
    }

    private record Request(float[] image, CompletableFuture<Prediction> answer, long enqueued) {}

    private final Cascade cascade;
    private final TorchModule full;
    private final long fullMultiplyAdds;
    private final Options options;
    private final Listener listener;
    private final StageTimes times;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final ArrayDeque<Request> queue = new ArrayDeque<>();
    /**
     * The worker's requests that are in neither the queue nor the waiting flights (taken for a glance batch, or in a
     * step): a failure answers them with its error, as {@link #failAll} does the waiting ones. Worker thread only.
     */
    private final List<CompletableFuture<Prediction>> inHand = new ArrayList<>();
    private final Thread worker;
    private final java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean accepting = true;
    private volatile boolean running = true;

    private RequestBatcher(Cascade cascade, TorchModule full, long fullMultiplyAdds, Options options,
            Listener listener) {
        this.cascade = cascade;
        this.full = full;
        this.fullMultiplyAdds = fullMultiplyAdds;
        this.options = options;
        this.listener = listener;
        this.times = full == null ? cascade.stageTimes() : new StageTimes(1);
        this.worker = new Thread(this::work, "anchornet-batcher");
        worker.setDaemon(true);
        worker.start();
    }

    /** Early exit with the cascade. */
    public static RequestBatcher cascade(Cascade cascade, Options options, Listener listener) {
        return new RequestBatcher(cascade, null, 0, options, listener);
    }

    /** The full-resolution network on the cascade's preprocessing, one stage. */
    public static RequestBatcher fullNetwork(Cascade cascade, TorchModule network, long multiplyAdds, Options options,
            Listener listener) {
        return new RequestBatcher(cascade, network, multiplyAdds, options, listener);
    }

    /** Where the worker's time has gone: the cascade's stages, or the full network as one stage. */
    public StageTimes stageTimes() {
        return times;
    }

    /** Images waiting for their first stage. */
    public int queueDepth() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Queues a preprocessed image; the future completes when it leaves the cascade.
     *
     * @throws OverloadedException when the queue is full
     * @throws IllegalStateException when the batcher no longer accepts work (shutting down)
     */
    public CompletableFuture<Prediction> submit(float[] preprocessed) {
        CompletableFuture<Prediction> answer = new CompletableFuture<>();
        lock.lock();
        try {
            if (!accepting) {
                throw new IllegalStateException("the server is shutting down");
            }
            if (queue.size() >= options.queueCapacity()) {
                throw new OverloadedException(options.queueCapacity());
            }
            queue.add(new Request(preprocessed, answer, System.nanoTime()));
            pending.incrementAndGet();
            answer.whenComplete((p, e) -> pending.decrementAndGet());
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
        return answer;
    }

    private void work() {
        Map<Integer, List<Waiting>> waiting = new TreeMap<>();
        while (running) {
            try {
                List<Request> arrivals = take(waiting.isEmpty());
                arrivals.forEach(r -> inHand.add(r.answer()));
                if (!arrivals.isEmpty()) {
                    if (full != null) {
                        classifyFull(arrivals);
                    } else {
                        startFlight(arrivals, waiting);
                    }
                }
                advance(waiting, !arrivals.isEmpty() && queueDepth() > 0);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (RuntimeException | Error e) {
                inHand.forEach(a -> a.completeExceptionally(e)); // answered ones stay answered
                failAll(waiting, e);
            } finally {
                inHand.clear();
            }
        }
        failAll(waiting, new IllegalStateException("the server stopped"));
    }

    /** A flight waiting at a stage, and since when. */
    private record Waiting(Flight<CompletableFuture<Prediction>> flight, long since) {}

    /** The next arrivals: waits for the first when idle, then up to {@code maxWait} for a full batch. */
    private List<Request> take(boolean idle) throws InterruptedException {
        List<Request> out = new ArrayList<>();
        lock.lock();
        try {
            if (idle) {
                while (queue.isEmpty() && running) {
                    arrived.await(100, TimeUnit.MILLISECONDS);
                }
            }
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.maxWaitMillis());
            while (!queue.isEmpty() && queue.size() < options.maxBatch() && running) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !arrived.await(left, TimeUnit.NANOSECONDS)) {
                    break;
                }
            }
            while (!queue.isEmpty() && out.size() < options.maxBatch()) {
                out.add(queue.poll());
            }
        } finally {
            lock.unlock();
        }
        return out;
    }

    /** The requests' images as one batch, timed as carrying into the first stage. */
    private NDArray stack(NDManager manager, List<Request> requests) {
        long start = System.nanoTime();
        NDArray batch = ImageBatch.pack(requests.stream().map(Request::image).toList(), cascade.config().inputSize())
                .toNDArray(manager);
        times.add(0, StageTimes.Part.CARRY, System.nanoTime() - start);
        return batch;
    }

    private void startFlight(List<Request> arrivals, Map<Integer, List<Waiting>> waiting) {
        try (NDManager m = NDManager.newBaseManager()) {
            var flight = cascade.begin(stack(m, arrivals), arrivals.stream().map(Request::answer).toList());
            waiting.computeIfAbsent(0, k -> new ArrayList<>()).add(new Waiting(flight, System.nanoTime()));
        }
    }

    /**
     * Runs the stages that have waiting images: the glance on the new arrivals, and every later stage together (one
     * pass of the patch network) when they hold a full batch between them, when the oldest image there has waited
     * {@code stageWait}, or when no new request is queued ({@code morePending} false).
     */
    private void advance(Map<Integer, List<Waiting>> waiting, boolean morePending) {
        long now = System.nanoTime();
        int later = 0;
        long oldest = now;
        for (var entry : waiting.entrySet()) {
            if (entry.getKey() > 0) {
                later += entry.getValue().stream().mapToInt(w -> w.flight().size()).sum();
                oldest = Math.min(oldest, entry.getValue().stream().mapToLong(Waiting::since).min().orElse(now));
            }
        }
        boolean laterDue = later > 0 && (later >= options.maxBatch() || !morePending
                || now - oldest >= TimeUnit.MILLISECONDS.toNanos(options.stageWaitMillis()));
        List<Flight<CompletableFuture<Prediction>>> due = new ArrayList<>();
        for (int stage : List.copyOf(waiting.keySet())) {
            if (stage == 0 || laterDue) {
                due.add(cascade.merge(waiting.remove(stage).stream().map(Waiting::flight).toList()));
            }
        }
        if (due.isEmpty()) {
            return;
        }
        due.forEach(flight -> listener.batch(flight.stage(), flight.size()));
        int ahead = runAhead(due);
        int patchPass = cascade.patchImages(due, ahead);
        if (patchPass > 0) {
            listener.patchPass(patchPass);
        }
        due.forEach(f -> inHand.addAll(f.tags()));
        for (var step : cascade.stepTogether(due, ahead)) {
            for (var done : step.finished()) {
                listener.exited(done.prediction().exitStage());
                done.tag().complete(done.prediction());
            }
            var survivors = step.survivors();
            if (survivors.size() > 0) {
                waiting.computeIfAbsent(survivors.stage(), k -> new ArrayList<>()).add(new Waiting(survivors,
                        System.nanoTime()));
            } else {
                survivors.close();
            }
        }
    }

    /**
     * Windows per image in the coming pass: {@link Options#runAhead} when nothing waits to be taken, as many as fit a
     * full batch; one under load, where a window an image may not need would delay another request.
     */
    private int runAhead(List<Flight<CompletableFuture<Prediction>>> due) {
        int later = due.stream().filter(f -> f.stage() > 0).mapToInt(Flight::size).sum();
        if (later == 0 || queueDepth() > 0) {
            return 1;
        }
        return Math.max(1, Math.min(options.runAhead(), options.maxBatch() / later));
    }

    private void classifyFull(List<Request> arrivals) {
        listener.batch(0, arrivals.size());
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray batch = stack(m, arrivals);
            long start = System.nanoTime();
            NDArray logits = full.forward(new ParameterStore(m, false), new NDList(batch), false).singletonOrThrow();
            long read = System.nanoTime();
            times.network(0, arrivals.size(), read - start);
            List<Prediction> answers = Prediction.ofSingleNetwork(logits, fullMultiplyAdds);
            times.add(0, StageTimes.Part.READOUT, System.nanoTime() - read);
            for (int i = 0; i < arrivals.size(); i++) {
                listener.exited(1);
                arrivals.get(i).answer().complete(answers.get(i));
            }
        }
    }

    private void failAll(Map<Integer, List<Waiting>> waiting, Throwable cause) {
        for (List<Waiting> list : waiting.values()) {
            for (Waiting w : list) {
                w.flight().tags().forEach(f -> f.completeExceptionally(cause));
                w.flight().close();
            }
        }
        waiting.clear();
    }

    /**
     * Stops taking new requests, finishes every image already queued or in flight, then stops the worker (waits at
     * most {@code timeoutMillis}).
     */
    public void drain(long timeoutMillis) throws InterruptedException {
        accepting = false;
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline && (queueDepth() > 0 || inFlight())) {
            Thread.sleep(10);
        }
        running = false;
        lock.lock();
        try {
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
        worker.join(Math.max(1, deadline - System.currentTimeMillis()));
    }

    private boolean inFlight() {
        return pending.get() > 0;
    }

    @Override
    public void close() throws InterruptedException {
        drain(30_000);
    }
}
