/**
 * Pure early-exit arithmetic, no tensors: exit tables as the reference stores them, the exit rule, simulated
 * dynamic inference, stage costs, threshold fits under a budget of multiply-adds, and risk-controlled thresholds.
 */
package org.anchornet.exits;
