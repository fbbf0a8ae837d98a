/**
 * Training AnchorNet and the downstream networks (glance, patch, full-resolution and resolution-scaled baselines):
 * torch-exact Nesterov SGD, learning-rate schedules, early stopping, checkpoints that survive a kill.
 */
package org.anchornet.train;
