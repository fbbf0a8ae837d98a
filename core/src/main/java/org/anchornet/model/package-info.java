/**
 * The networks (AnchorNet, DenseNet, ResNet and the light backbones) as DJL blocks whose parameter paths are
 * PyTorch state-dict keys; the architecture registry, the one state-dict mapper, weight initialization as torch
 * does it, batch-norm folding, the multiply-add counter and receptive-field arithmetic.
 */
package org.anchornet.model;
