/**
 * The main job: the whole method on Cluttered Fashion-MNIST end to end (training, exit tables, thresholds,
 * ablations, resolution-scaled baselines, timing) with its HTML report, for one or several seeds.
 */
package org.anchornet.demo;
