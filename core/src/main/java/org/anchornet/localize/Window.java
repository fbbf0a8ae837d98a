package org.anchornet.localize;

import org.anchornet.model.ReceptiveField;

/** A square window in input pixels: rows [top, top + size), columns [left, left + size). */
public record Window(int top, int left, int size) {
    /** The input window seen by the feature cell at (row, col) of a network with this receptive field. */
    public static Window ofCell(ReceptiveField field, int row, int col) {
        return new Window(row * field.stride(), col * field.stride(), field.size());
    }

    public int bottomInclusive() {
        return top + size - 1;
    }

    public int rightInclusive() {
        return left + size - 1;
    }
}
