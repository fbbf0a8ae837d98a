/**
 * Pure early-exit arithmetic, no tensors: exit tables as the reference stores them, the exit rule, simulated
 * dynamic inference, stage costs, and threshold search under a budget of multiply-adds.
 */
package org.anchornet.exits;
