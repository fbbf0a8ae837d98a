/**
 * Where to look: AnchorNet's class activation map, greedy non-maximum suppression of its windows into top-k
 * proposals, the bicubic glance, patch crops, and window sources for ablations (random, centre).
 */
package org.anchornet.localize;
