package org.anchornet.serve;

import io.javalin.config.JavalinConfig;
import org.eclipse.jetty.server.ConnectionLimit;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * What keeps slow clients from holding the server: Jetty reads a request body on a pool thread that blocks until the
 * bytes come, so 300 clients trickling a declared 100 KB body held every one of Javalin's 250 threads and a good
 * request waited for the idle timeout. Here the pool has a thread for every connection the server accepts plus the
 * server's own work, the connections are capped (Jetty stops accepting at the cap), and a body slower than the
 * minimum rate is refused by Jetty ({@link RequestBodies} answers it 408), so a trickle frees its thread in seconds.
 */
final class ConnectionLimits {
    /** Threads beyond one per connection: acceptors, selectors, and requests past their bodies. */
    private static final int SPARE_THREADS = 64;

    private ConnectionLimits() {}

    static void apply(JavalinConfig config, CascadeServer.Settings settings) {
        QueuedThreadPool pool = new QueuedThreadPool(settings.maxConnections() + SPARE_THREADS, 8, 60_000);
        pool.setName("anchornet-http");
        config.jetty.threadPool = pool;
        config.jetty.modifyHttpConfiguration(http -> http.setMinRequestDataRate(settings.minBodyBytesPerSecond()));
        config.jetty.modifyServer(server -> server.addBean(new ConnectionLimit(settings.maxConnections(), server)));
    }
}
