package org.anchornet.torchio;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks what an unpickled file holds before anything walks it: no container that contains itself, nesting no deeper
 * than {@value #MAX_DEPTH}, and no more than {@value #MAX_VALUES} values once shared parts are counted each time they
 * appear (a few hundred bytes of pickle can share one list a billion times over, and anything that prints or copies
 * the result would then expand it). Iterative, so a hostile depth cannot overflow the stack here. Checkpoints nest a
 * handful of levels and hold thousands of values.
 */
final class PickleLimits {
    static final int MAX_DEPTH = 100;
    static final long MAX_VALUES = 10_000_000L;

    private PickleLimits() {}

    /** Throws {@link IllegalArgumentException} naming the first limit the value breaks. */
    static void check(Object root) {
        Map<Object, Long> size = new IdentityHashMap<>(); // containers done: values below, counted with sharing
        Map<Object, Boolean> open = new IdentityHashMap<>(); // containers on the current path
        Deque<Frame> path = new ArrayDeque<>();
        if (!isContainer(root)) {
            return;
        }
        path.push(new Frame(root, children(root)));
        open.put(root, true);
        while (!path.isEmpty()) {
            Frame top = path.peek();
            if (top.next < top.children.size()) {
                Object child = top.children.get(top.next++);
                top.total = Math.addExact(top.total, 1);
                if (!isContainer(child)) {
                    continue;
                }
                if (open.containsKey(child)) {
                    throw new IllegalArgumentException("a " + kind(child) + " that contains itself; checkpoints hold no"
                            + " such cycles");
                }
                Long known = size.get(child);
                if (known != null) {
                    top.total = Math.addExact(top.total, known);
                } else {
                    if (path.size() >= MAX_DEPTH) {
                        throw new IllegalArgumentException("values nested more than " + MAX_DEPTH + " deep");
                    }
                    open.put(child, true);
                    path.push(new Frame(child, children(child)));
                }
            } else {
                path.pop();
                open.remove(top.container);
                size.put(top.container, top.total);
                if (top.total > MAX_VALUES) {
                    throw new IllegalArgumentException("values that expand to more than " + MAX_VALUES
                            + " entries (shared lists repeated over and over)");
                }
                if (!path.isEmpty()) {
                    Frame parent = path.peek();
                    parent.total = Math.addExact(parent.total, top.total);
                }
            }
        }
    }

    private static final class Frame {
        final Object container;
        final List<?> children;
        int next;
        long total;

        Frame(Object container, List<?> children) {
            this.container = container;
            this.children = children;
        }
    }

    private static boolean isContainer(Object o) {
        return o instanceof Map || o instanceof List || o instanceof Object[];
    }

    private static String kind(Object o) {
        return o instanceof Map ? "dict" : "list";
    }

    private static List<?> children(Object o) {
        if (o instanceof Map<?, ?> map) {
            java.util.ArrayList<Object> all = new java.util.ArrayList<>(map.size() * 2);
            for (Map.Entry<?, ?> e : map.entrySet()) {
                all.add(e.getKey());
                all.add(e.getValue());
            }
            return all;
        }
        return o instanceof Object[] array ? java.util.Arrays.asList(array) : (List<?>) o;
    }
}
