package org.anchornet.serve;

import java.nio.file.Path;

/** The server tests' package maker, for tests in other packages. */
public final class ServeTesting {
    private ServeTesting() {}

    /** A server on loopback over a small random-weight cascade, with a canvas it answers; closed together. */
    record Limited(org.anchornet.engine.Cascade cascade, CascadeServer server, byte[] goodImage)
            implements AutoCloseable {
        @Override
        public void close() throws Exception {
            server.close();
            cascade.close();
        }
    }

    /** {@link Limited} with a body limit and an idle timeout, batching up to 4 images. */
    static Limited startLimited(Path dir, long bodyLimit, long idleMillis) throws Exception {
        Path pkg = CascadeServerTest.makePackage(dir);
        byte[] image = java.nio.file.Files.readAllBytes(CascadeServerTest.canvases(dir, 1).get(0));
        org.anchornet.engine.Cascade cascade = org.anchornet.engine.Cascade.load(pkg);
        try {
            return new Limited(cascade, CascadeServer.start(cascade, null, 1_000_000_000L, new CascadeServer
                    .Settings("127.0.0.1", 0, new RequestBatcher.Options(4, 5, 64), bodyLimit, 60_000, idleMillis)),
                    image);
        } catch (RuntimeException e) {
            cascade.close();
            throw e;
        }
    }

    /** A small random-weight cascade package in {@code dir}. */
    public static Path makePackage(Path dir) throws Exception {
        java.nio.file.Files.createDirectories(dir);
        return CascadeServerTest.makePackage(dir);
    }
}
