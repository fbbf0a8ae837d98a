package org.anchornet.serve;

import io.javalin.http.Context;
import jakarta.servlet.MultipartConfigElement;
import jakarta.servlet.http.Part;
import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.Locale;
import org.anchornet.io.Messages;
import org.eclipse.jetty.server.MultiPartFormInputStream;

/**
 * Reading request bodies within the server's limit: the bytes read are counted whatever the transfer encoding or
 * declared length, forms are parsed from the bounded bytes, and images come from data URIs or base64, never URLs.
 */
final class RequestBodies {
    private RequestBodies() {}

    /**
     * The request body, read up to the limit: a chunked body (no declared length) or one longer than it declared is
     * refused as soon as the limit is passed, and the rest is never read.
     */
    static byte[] bounded(Context ctx, long limit) throws IOException {
        try (InputStream in = ctx.req().getInputStream()) {
            byte[] body = in.readNBytes((int) limit);
            if (body.length == limit && in.read() >= 0) {
                throw tooLarge("the body is longer", limit);
            }
            return body;
        } catch (org.eclipse.jetty.http.BadMessageException e) {
            // Jetty's refusals while reading: a body slower than the minimum rate (408), bad chunk framing (400)
            throw new ApiError(e.getCode(), "the body could not be read: " + e.getReason(), e.getCode() == 408
                    ? ServeMetrics.Outcome.TIMEOUT : ServeMetrics.Outcome.BAD_REQUEST);
        } catch (IOException e) {
            if (Messages.rootMessage(e).toLowerCase(Locale.ROOT).contains("timeout")
                    || hasCause(e, java.util.concurrent.TimeoutException.class)) {
                throw new ApiError(408, "the body stopped arriving (no bytes within the idle timeout)",
                        ServeMetrics.Outcome.TIMEOUT);
            }
            throw e;
        }
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /** A form's image field. */
    record Upload(byte[] bytes, String fileName) {}

    /**
     * The multipart "image" field, parsed by Jetty from a body read within the limit: Jetty's parser on the request
     * stream skips a preamble of any length before the first boundary without counting it. A malformed form is the
     * client's error, not the server's.
     */
    static Upload uploadedImage(Context ctx, long limit) throws IOException {
        byte[] body = bounded(ctx, limit);
        MultiPartFormInputStream form = new MultiPartFormInputStream(new java.io.ByteArrayInputStream(body),
                ctx.contentType(), new MultipartConfigElement(System.getProperty("java.io.tmpdir"), limit, limit,
                        (int) limit), new java.io.File(System.getProperty("java.io.tmpdir")));
        try {
            Part part = form.getPart("image");
            if (part == null) {
                return null;
            }
            try (InputStream in = part.getInputStream()) {
                return new Upload(in.readAllBytes(), part.getSubmittedFileName());
            }
        } catch (IOException | IllegalStateException | IllegalArgumentException e) {
            throw new ApiError(400, "malformed multipart form: " + Messages.rootMessage(e));
        } finally {
            form.deleteParts();
        }
    }

    /** 413; the connection is closed after the answer ({@link CascadeServer}), so the rest of the body is never read. */
    static ApiError tooLarge(String what, long limit) {
        return new ApiError(413, what + " than the " + limit + " bytes accepted");
    }

    /** The image of a data URI or plain base64; URLs are refused, never fetched. */
    static byte[] imageBytes(String value) {
        String v = value.strip();
        // only the scheme and media type are compared, never the megabytes of payload behind them
        int comma = v.indexOf(',');
        String lower = v.substring(0, comma < 0 ? Math.min(v.length(), 16) : comma).toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://") || lower.startsWith("file:")
                || lower.startsWith("ftp://")) {
            throw new ApiError(400, "the server never fetches URLs: send the image itself as a data URI"
                    + " (data:image/png;base64,...)");
        }
        if (lower.startsWith("data:")) {
            if (comma < 0 || !lower.endsWith(";base64")) {
                throw new ApiError(400, "the data URI must be base64 (data:image/...;base64,...)");
            }
            v = v.substring(comma + 1);
        }
        try {
            // strict: the MIME decoder would skip stray characters and decode garbage to nothing
            return Base64.getDecoder().decode(withoutWhitespace(v));
        } catch (IllegalArgumentException e) {
            throw new ApiError(400, "the image is not valid base64 (" + e.getMessage() + ")");
        }
    }

    /** Base64 wrapped over lines is still base64; one scan, and no copy when there is nothing to remove. */
    private static String withoutWhitespace(String v) {
        int i = 0;
        while (i < v.length() && !isSpace(v.charAt(i))) {
            i++;
        }
        if (i == v.length()) {
            return v;
        }
        StringBuilder kept = new StringBuilder(v.length());
        kept.append(v, 0, i);
        for (; i < v.length(); i++) {
            char c = v.charAt(i);
            if (!isSpace(c)) {
                kept.append(c);
            }
        }
        return kept.toString();
    }

    /** The regex class {@code \s}: what a line-wrapped or indented payload holds between base64 characters. */
    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
    }

}
