/**
 * The trained cascade as one object (configuration, three networks, package I/O) and the batched early-exit engine
 * that runs it: the one home of the stage definition. Also exit-table making and speed benchmarks.
 */
package org.anchornet.engine;
