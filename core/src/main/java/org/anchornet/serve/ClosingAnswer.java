package org.anchornet.serve;

import io.javalin.http.Context;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A refusal of a request whose body may be unread: Jetty reads and discards any rest of a body, however long, before
 * it lets the connection go. So the answer is written here, then the connection is half-closed and closed a second
 * later (a bounded lingering close: the client gets the answer before the socket goes).
 */
final class ClosingAnswer {
    private static final ScheduledExecutorService LINGER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "anchornet-linger");
        t.setDaemon(true);
        return t;
    });

    private ClosingAnswer() {}

    /** Sends {@code json} with {@code status} and closes the connection; falls back to Javalin's own answer. */
    static void send(Context ctx, int status, String json) {
        try {
            byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
            ctx.res().setStatus(status);
            ctx.res().setContentType("application/json");
            ctx.res().setHeader("Connection", "close");
            ctx.res().setContentLength(bytes.length);
            ctx.res().getOutputStream().write(bytes);
            ctx.res().flushBuffer();
            org.eclipse.jetty.io.EndPoint endPoint = org.eclipse.jetty.server.Request.getBaseRequest(ctx.req())
                    .getHttpChannel().getEndPoint();
            endPoint.shutdownOutput();
            LINGER.schedule((Runnable) endPoint::close, 1, TimeUnit.SECONDS);
        } catch (IOException | RuntimeException e) {
            ctx.status(status).contentType("application/json").result(json);
        }
    }
}
