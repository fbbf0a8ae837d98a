package org.anchornet.train;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.anchornet.io.AtomicFiles;
import org.anchornet.io.FolderLock;
import org.anchornet.torchio.StateDicts;
import org.anchornet.torchio.TorchTensor;

/**
 * The files of one training run and the rules that keep them consistent whenever the process dies:
 * <ul>
 *   <li>{@code checkpoint.pth} is the one source of truth; it holds the current and the best weights, so what it says
 *       is best is on disk at every instant;</li>
 *   <li>{@code best.pth} and {@code train_log.csv} are written after it and rebuilt from it when a run starts, so a
 *       kill between writes loses neither;</li>
 *   <li>temporaries of interrupted writes are removed when a run starts;</li>
 *   <li>the folder is locked for the run, so two runs cannot mix their files.</li>
 * </ul>
 */
final class CheckpointFolder implements AutoCloseable {
    static final String CHECKPOINT = "checkpoint.pth";
    static final String BEST = Checkpoint.BEST_FILE;
    static final String LOG = Checkpoint.LOG_FILE;
    private static final String CSV_HEADER = "epoch,lr,train_loss,train_top1,val_top1,images_per_s,data_wait_s,seconds";

    private final Path dir;
    private final FolderLock lock;

    private CheckpointFolder(Path dir, FolderLock lock) {
        this.dir = dir;
        this.lock = lock;
    }

    /** Creates and locks the folder and removes what interrupted writes left behind. */
    static CheckpointFolder open(Path dir, String holder) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IOException("the checkpoint folder " + dir + " is a file; give a folder");
        }
        Files.createDirectories(dir);
        FolderLock lock = FolderLock.acquire(dir, holder);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(AtomicFiles::isTemporary).toList()) {
                Files.deleteIfExists(f);
            }
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
        return new CheckpointFolder(dir, lock);
    }

    Path checkpoint() {
        return dir.resolve(CHECKPOINT);
    }

    Path best() {
        return dir.resolve(BEST);
    }

    Path log() {
        return dir.resolve(LOG);
    }

    /** A checkpoint of an earlier version lacks the best weights: take them from its best.pth (or its own). */
    Checkpoint withBestWeights(Checkpoint restored, Map<String, TorchTensor> current) throws IOException {
        if (restored.best() != null) {
            return restored;
        }
        Map<String, TorchTensor> best = Files.isRegularFile(best()) ? StateDicts.load(best()) : current;
        return new Checkpoint(restored.state(), best, restored.arch(), restored.seed(), restored.config());
    }

    /** Brings best.pth and the log in line with the checkpoint (after a kill between writes). */
    void reconcile(Checkpoint checkpoint, PrintWriter log) throws IOException {
        // best epoch 0 after some epochs: the starting weights were kept (TrainingSettings.keepStart)
        if (checkpoint.state().epochsDone() > 0
                && Checkpoint.bestEpochOf(best()) != checkpoint.state().bestEpoch()) {
            Checkpoint.saveBest(best(), checkpoint);
            log.println("rewrote " + best() + " from the checkpoint (" + checkpoint.state().bestWeights() + ")");
        }
        writeLog(checkpoint.state().history());
    }

    /** Saves an epoch: the checkpoint first, then best.pth when it changed, then the log. */
    void save(Checkpoint checkpoint, CheckpointWriter writer) throws IOException {
        writer.write(checkpoint());
        if (checkpoint.state().lastImproved() || !Files.isRegularFile(best())) {
            Checkpoint.saveBest(best(), checkpoint);
        }
        writeLog(checkpoint.state().history());
    }

    /** Writes the checkpoint file (weights and optimizer come from the live run). */
    @FunctionalInterface
    interface CheckpointWriter {
        void write(Path file) throws IOException;
    }

    private void writeLog(List<EpochResult> history) throws IOException {
        StringBuilder csv = new StringBuilder(CSV_HEADER).append('\n');
        for (EpochResult r : history) {
            csv.append(r.csvRow()).append('\n');
        }
        AtomicFiles.writeString(log(), csv.toString());
    }

    @Override
    public void close() throws IOException {
        lock.close();
    }
}
